import asyncio
import uuid

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from app.db.migrate import head_revision, upgrade_to_head
from app.db.models import metadata
from tests.fixtures.database import _plain, with_database


@pytest.fixture
async def empty_database(pg_server_url: str):
    name = f"inventory_empty_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_plain(pg_server_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield with_database(pg_server_url, name)
    admin = await asyncpg.connect(_plain(pg_server_url))
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


async def test_migrations_build_the_whole_model_on_an_empty_database(empty_database: str) -> None:
    await asyncio.to_thread(upgrade_to_head, empty_database)

    connection = await asyncpg.connect(_plain(empty_database))
    try:
        version = await connection.fetchval("SELECT version_num FROM alembic_version")
        tables = {
            r["tablename"]
            for r in await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    finally:
        await connection.close()
    assert version == head_revision()
    assert {t.name for t in metadata.sorted_tables} <= tables


async def test_models_and_migrations_have_not_drifted(empty_database: str) -> None:
    await asyncio.to_thread(upgrade_to_head, empty_database)
    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()

    assert diff == []


async def test_every_tenant_table_carries_merchant_id() -> None:
    tenantless = {"merchant"}

    missing = [
        t.name
        for t in metadata.sorted_tables
        if t.name not in tenantless and "merchant_id" not in t.c
    ]

    assert missing == []
