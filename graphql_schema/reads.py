"""One pooled connection per request for its reads, in autocommit mode.

Taken at the first read and given back when the operation ends; the request's
queries (and its dataloaders' batches) take turns on it. Compared with a session per
query this saves, per query, the pool's checkout ping, BEGIN and the ROLLBACK on
return — round trips that cost more than the queries themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graphql_schema.read_budget import ReadBudget

R = TypeVar("R")

ReadQuery = Callable[[AsyncSession], Awaitable[R]]


class Reads:
    """`budget`, when given, is taken before the connection and given back after it."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], budget: ReadBudget | None = None
    ) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._turn = asyncio.Lock()
        self._budget = budget
        self._holds_slot = False

    async def run(self, query: ReadQuery[R]) -> R:
        async with self._turn:
            if self._session is None:
                if self._budget is not None and not self._holds_slot:
                    await self._budget.take()
                    self._holds_slot = True
                self._session = self._sessions()
            return await query(self._session)

    async def close(self) -> None:
        async with self._turn:
            session, self._session = self._session, None
        try:
            if session is not None:
                await session.close()
        finally:
            if self._holds_slot and self._budget is not None:
                self._holds_slot = False
                self._budget.give_back()
