"""The per-request context: who is calling, what they may do, and the request's loaders."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from app.auth.actions import Action
from app.auth.errors import Forbidden, IdentityUnavailable
from app.auth.identity import Identity
from app.auth.principal import Principal
from app.db.driver import Transactional
from app.db.unit_of_work import UnitOfWork
from app.request_context import current_request_id
from app.services.context import Actor
from app.settings import Settings
from graphql_schema.configured_limits import configured_limits
from graphql_schema.errors import FORBIDDEN, UNAUTHENTICATED, UNAVAILABLE, ClientError
from graphql_schema.loaders import Loaders
from graphql_schema.read_budget import ReadBudget
from graphql_schema.reads import Reads
from graphql_schema.security.limits import SecurityLimits

R = TypeVar("R")


@dataclass
class Context:
    """`principal` is None only before a websocket's connection_init; resolvers then refuse.

    `sessions` is for the services' writes; reads go through `reads` (made from
    `reader`, autocommit sessions on the same pool, unless given).
    """

    settings: Settings
    sessions: UnitOfWork
    identity: Identity
    principal: Principal | None
    request: Request | WebSocket | None = None
    reader: async_sessionmaker[AsyncSession] | None = None
    # The process's read budget (read_budget.py); a mutation's reads do not draw on it.
    read_budget: ReadBudget | None = None
    writing: bool = False
    # The HTTP response being prepared (its status and headers), when over HTTP.
    response: Response | None = None
    _allowed: set[Action] = field(default_factory=set)
    # Resolvers' per-request batchers (e.g. items/page_batch.py), by their owner's name:
    # they go with the request (a module-level map keyed by the request kept them all).
    batchers: dict[str, Any] = field(default_factory=dict)

    @property
    def caller(self) -> Principal:
        if self.principal is None:
            raise ClientError("authentication required", UNAUTHENTICATED)
        if self.principal.merchant_id is None:
            raise ClientError("a token scoped to a merchant is required", FORBIDDEN)
        return self.principal

    @cached_property
    def actor(self) -> Actor:
        principal = self.caller
        assert principal.merchant_id is not None
        return Actor(principal.merchant_id, principal.actor, current_request_id())

    @property
    def merchant_id(self) -> uuid.UUID:
        return self.actor.merchant_id

    @cached_property
    def limits(self) -> SecurityLimits:
        return configured_limits(self.settings)

    @cached_property
    def reads(self) -> Reads:
        return Reads(
            self.reader or self.sessions.read_sessions(),
            None if self.writing else self.read_budget,
            self.sessions.engine,
        )

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.reads.run, self.merchant_id, self.reads.run_driver)

    async def authorize(self, action: Action) -> None:
        """Ask identity once per action and request; refusals are top-level errors."""
        if action in self._allowed:
            return
        principal = self.caller
        try:
            await self.identity.authorize(principal, action)
        except Forbidden as exc:
            raise ClientError(exc.message, FORBIDDEN) from None
        except IdentityUnavailable as exc:
            raise ClientError(exc.message, UNAVAILABLE) from None
        self._allowed.add(action)

    async def read(self, query: Callable[[AsyncSession], Awaitable[R]]) -> R:
        """Run one read query on the request's read connection."""
        return await self.reads.run(query)

    async def read_driver(self, query: Callable[[Transactional], Awaitable[R]]) -> R:
        """Run driver statements on the request's read connection (see Reads.run_driver)."""
        return await self.reads.run_driver(query)

    async def close(self) -> None:
        """Give the read connection back (the schema's ReadsClosing does, after each operation)."""
        if "reads" in self.__dict__:
            await self.reads.close()


Info = strawberry.Info[Context, None]
