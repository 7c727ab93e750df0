"""The response cache under test: /graphql and /v1 with and without it, over the test
database, with a data version listener of its own and cost budgets on a frozen clock
(so a cached and an uncached app report the same figures)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware

from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.auth.request_id import RequestIdMiddleware
from app.db.data_versions import (
    EXTRAS_KEY,
    DataVersionListener,
    DataVersions,
    listening_data_versions,
)
from app.rest.v1.routes import v1_routes
from app.runtime import Database, Runtime
from app.settings import Settings
from graphql_schema.app import GraphQLApp, caller_key, graphql_routes
from graphql_schema.cached_reads import CachedReads
from graphql_schema.security import SecurityLimits, security_extensions
from graphql_schema.writes_visible import WritesVisibleMiddleware
from tests.graphql.conftest import MERCHANT_A, Http
from tests.graphql.statements import counted_statements

BUDGET = 2000


def _app(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    versions: DataVersions,
    budget: int,
    redis: Redis | None = None,
) -> Starlette:
    extensions = security_extensions(
        SecurityLimits(budget_points=budget),
        production=False,
        caller_key=caller_key,
        clock=lambda: 0.0,
        redis=redis,
    )
    app = Starlette(
        routes=[*v1_routes(settings), *graphql_routes(settings, extensions=extensions)],
        middleware=[Middleware(RequestIdMiddleware), Middleware(WritesVisibleMiddleware)],
    )
    database = Database(url=settings.database_url or "", engine=engine, sessions=sessions)
    app.state.runtime = Runtime(settings=settings, database=database, identity=identity)
    app.state.runtime.extras[EXTRAS_KEY] = versions
    return app


def cached_reads_of(app: Starlette) -> CachedReads:
    for route in app.routes:
        endpoint = getattr(route, "app", None)
        inner = getattr(endpoint, "app", None)
        if isinstance(inner, GraphQLApp) and inner.cached_reads is not None:
            return inner.cached_reads
    raise AssertionError("no cached /graphql route")


@dataclass
class Cached:
    """`on` serves from the cache; `off` is the same app with the cache turned off."""

    on: Http
    off: Http
    reads: CachedReads
    versions: DataVersions
    listener: DataVersionListener
    engine: AsyncEngine

    async def until_listening(self, within: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not self.versions.listening:
            assert asyncio.get_running_loop().time() < deadline, "the listener never connected"
            await asyncio.sleep(0.02)

    @contextmanager
    def statements(self) -> Iterator[list[str]]:
        with counted_statements(self.engine) as seen:
            yield seen


async def open_cached(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
    *,
    budget: int = BUDGET,
    redis: Redis | None = None,
) -> AsyncIterator[Cached]:
    off_settings = settings.model_copy(update={"graphql_response_cache_entries": 0})
    async with listening_data_versions(settings.database_url or "") as (versions, listener):
        on_app = _app(settings, engine, sessions, identity, versions, budget, redis)
        off_app = _app(off_settings, engine, sessions, identity, versions, budget, redis)
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=on_app), base_url="http://t") as on,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=off_app), base_url="http://t"
            ) as off,
        ):
            cached = Cached(
                Http(on, signing_key, settings),
                Http(off, signing_key, settings),
                cached_reads_of(on_app),
                versions,
                listener,
                engine,
            )
            await cached.until_listening()
            yield cached


@pytest.fixture
async def cached(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> AsyncIterator[Cached]:
    async for value in open_cached(settings, engine, sessions, identity, signing_key):
        yield value


def merchant_token(http: Http, merchant_id: uuid.UUID = MERCHANT_A, role: str = "owner") -> str:
    return http.token(merchant_id, role)
