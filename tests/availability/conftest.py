"""Availability fixtures: the realtime app fixtures (settings, tokens) and schema.execute."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.identity import Identity, build_identity
from app.settings import Settings
from graphql_schema.schema import build_schema
from tests.graphql.conftest import Gql
from tests.realtime.conftest import (  # noqa: F401 (fixtures)
    _quiet_broker_log_handle,
    make_settings,
    make_token,
    realtime_data_dir,
    signing_key,
)


@pytest.fixture(scope="session")
def api_settings(database_url: str, realtime_data_dir: Path) -> Settings:  # noqa: F811
    return Settings(database_url=database_url, data_dir=realtime_data_dir, migrate_on_start=False)


@pytest.fixture(scope="session")
async def identity(api_settings: Settings) -> AsyncIterator[Identity]:
    built = await build_identity(api_settings)
    yield built
    await built.aclose()


@pytest.fixture(scope="session")
def schema(api_settings: Settings) -> strawberry.Schema:
    return build_schema(api_settings)


@pytest.fixture
def gql(
    schema: strawberry.Schema,
    api_settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
) -> Gql:
    return Gql(schema, api_settings, sessions, identity)
