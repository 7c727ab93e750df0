"""GraphQL fixtures: the schema, a dev identity that signs real tokens, two merchants,
and two ways in — `schema.execute` with a context, and HTTP through the real route."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from strawberry.types import ExecutionResult

from app.auth.dev import DevSigningKey, load_or_create_signing_key
from app.auth.identity import Identity, build_identity
from app.auth.principal import Principal
from app.auth.request_id import RequestIdMiddleware
from app.runtime import Database, Runtime
from app.settings import Settings
from graphql_schema.app import graphql_routes
from graphql_schema.context import Context
from graphql_schema.schema import build_schema

MERCHANT_A = uuid.UUID("00000000-0000-7000-8000-00000000000a")
MERCHANT_B = uuid.UUID("00000000-0000-7000-8000-00000000000b")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("graphql-data")


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, migrate_on_start=False)


@pytest.fixture(scope="session")
def signing_key(data_dir: Path) -> DevSigningKey:
    return load_or_create_signing_key(data_dir)


@pytest.fixture(scope="session")
async def identity(settings: Settings, signing_key: DevSigningKey) -> AsyncIterator[Identity]:
    built = await build_identity(settings)
    yield built
    await built.aclose()


@pytest.fixture(scope="session")
def schema(settings: Settings) -> strawberry.Schema:
    return build_schema(settings)


def principal(merchant_id: uuid.UUID | None, role: str | None = "owner") -> Principal:
    from datetime import UTC, datetime, timedelta

    return Principal(
        subject="tester",
        merchant_id=merchant_id,
        role=role,
        is_service=False,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


@dataclass
class Gql:
    """`schema.execute` as a given merchant and role (a test-only context factory)."""

    schema: strawberry.Schema
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    identity: Identity

    def context(self, merchant_id: uuid.UUID = MERCHANT_A, role: str = "owner") -> Context:
        return Context(
            settings=self.settings,
            sessions=self.sessions,
            identity=self.identity,
            principal=principal(merchant_id, role),
        )

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        merchant_id: uuid.UUID = MERCHANT_A,
        role: str = "owner",
    ) -> ExecutionResult:
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.context(merchant_id, role)
        )

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        result = await self(query, variables, **kw)
        assert result.errors is None, result.errors
        return result.data


@pytest.fixture
def gql(
    schema: strawberry.Schema,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
) -> Gql:
    return Gql(schema, settings, sessions, identity)


@dataclass
class Http:
    client: httpx.AsyncClient
    signing_key: DevSigningKey
    settings: Settings

    def token(self, merchant_id: uuid.UUID | None = MERCHANT_A, role: str = "owner") -> str:
        return self.signing_key.issue_token(
            issuer=self.settings.identity_issuer,
            audience=self.settings.identity_audience,
            subject="http-tester",
            merchant_id=merchant_id,
            role=role,
        )

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        merchant_id: uuid.UUID = MERCHANT_A,
        role: str = "owner",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {self.token(merchant_id, role)}"}
        sent.update(headers or {})
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )


def graphql_test_app(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
) -> Starlette:
    """The real route and middleware over the test database (no lifespan to run)."""
    app = Starlette(routes=graphql_routes(settings), middleware=[Middleware(RequestIdMiddleware)])
    database = Database(url=settings.database_url or "", engine=engine, sessions=sessions)
    app.state.runtime = Runtime(settings=settings, database=database, identity=identity)
    return app


@pytest.fixture
async def http(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> AsyncIterator[Http]:
    app = graphql_test_app(settings, engine, sessions, identity)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Http(client, signing_key, settings)
