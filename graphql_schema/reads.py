"""One pooled connection per request for its reads, in autocommit mode.

Taken at the first read and given back when the operation ends; the request's
queries (and its dataloaders' batches) take turns on it. Compared with a session per
query this saves, per query, the pool's checkout ping, BEGIN and the ROLLBACK on
return — round trips that cost more than the queries themselves.

A read that runs driver statements only (`run_driver`: a stocks page) takes the pooled
connection without a SQLAlchemy session around it: the session, its transaction object
and the connection's isolation level set and reset cost ~0.1 ms of CPU a request, more
than the page's statement itself. The driver's connection runs each statement in
autocommit, as the read sessions do, and goes back to the pool as it came (no
transaction to end). A later read that needs a session gives that connection back
first and opens the session, so a request never holds two. A driver read that does not
complete (its request cancelled: graphql-core cancels a field's siblings when an error
nulls their parent) closes that connection instead: it may be left mid-statement, its
backend holding the statement's locks, and the backend stops the statement once it sees
its client gone (the engine's client_connection_check_interval, app/db/engine.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from app.db.driver import Transactional, driver_statements_enabled
from graphql_schema.read_budget import ReadBudget

R = TypeVar("R")

ReadQuery = Callable[[AsyncSession], Awaitable[R]]
# A query given the request's connection as the driver's (asyncpg), or its session when
# driver statements are off (app/db/driver.py: both run DriverStatements).
DriverQuery = Callable[[Transactional], Awaitable[R]]


class Reads:
    """`budget`, when given, is taken before the connection and given back after it.
    `engine`: where `run_driver` takes a connection without a session (None: always
    a session)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        budget: ReadBudget | None = None,
        engine: AsyncEngine | None = None,
    ) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._raw: PoolProxiedConnection | None = None
        self._engine = engine
        self._turn = asyncio.Lock()
        self._budget = budget
        self._holds_slot = False

    async def run(self, query: ReadQuery[R]) -> R:
        async with self._turn:
            if self._session is None:
                await self._take_slot()
                await self._give_back_raw()
                self._session = self._sessions()
            return await query(self._session)

    async def run_driver(self, query: DriverQuery[R]) -> R:
        """`query` on the request's connection as the driver's: the session's when one is
        open, else a pooled connection without a session."""
        if self._engine is None or not driver_statements_enabled():
            return await self.run(query)
        async with self._turn:
            if self._session is None:
                if self._raw is None:
                    await self._take_slot()
                    self._raw = await self._engine.raw_connection()
                driver: Any = self._raw.driver_connection
                try:
                    return await query(driver)
                except BaseException:
                    # A statement cut short (cancelled with its request, or failed) may
                    # leave the connection mid-protocol, its backend inside the
                    # statement's transaction holding locks: closed, never pooled again.
                    self._discard_raw()
                    raise
        return await self.run(query)

    async def close(self) -> None:
        async with self._turn:
            session, self._session = self._session, None
        try:
            await self._give_back_raw()
            if session is not None:
                await session.close()
        finally:
            if self._holds_slot and self._budget is not None:
                self._holds_slot = False
                self._budget.give_back()

    async def _take_slot(self) -> None:
        if self._budget is not None and not self._holds_slot:
            await self._budget.take()
            self._holds_slot = True

    def _discard_raw(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            # Terminates the driver's connection at once (no round trip, so it also runs
            # while the request is being cancelled); the pool opens another when needed.
            raw.invalidate()

    async def _give_back_raw(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            # In SQLAlchemy's greenlet, as every checkin of the async pool is.
            await greenlet_spawn(raw.close)
