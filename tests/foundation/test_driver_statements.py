"""Driver statements run inside the session's transaction: one commit, one rollback.

`app.db.driver` begins SQLAlchemy's lazily begun transaction itself when a driver
statement comes first; these tests hold it to that (a SQLAlchemy upgrade that changed
the adapter would show here), and to the statement's own rules. Each runs twice: on the
fast path, and with it off (DATABASE_DRIVER_STATEMENTS=false), through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Text, bindparam, column, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.driver import (
    DriverStatement,
    driver_connection,
    locked_transaction,
    use_driver_statements,
)
from app.db.engine import create_engine
from app.settings import Settings


@pytest.fixture(autouse=True, params=[True, False], ids=["driver", "sqlalchemy"])
def fast_path(request: pytest.FixtureRequest) -> Iterator[bool]:
    use_driver_statements(request.param)
    yield request.param
    use_driver_statements(Settings().database_driver_statements)


_TRANSACTION_ID = DriverStatement(select(column("id")).select_from(text("txid_current() AS id")))
_TRY_LOCK = DriverStatement(
    select(func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=Text), 0)))
)
_INSERT = DriverStatement(insert(t.merchant).values(id=bindparam("id", type_=t.merchant.c.id.type)))


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(t.merchant))).scalar_one()
        )


async def _insert_then_fail(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        await _INSERT.fetch(await driver_connection(session), {"id": uuid.uuid4()})
        raise RuntimeError("roll back")


async def test_a_driver_statement_first_runs_in_the_sessions_transaction(
    sessions: async_sessionmaker[AsyncSession], fast_path: bool
) -> None:
    async with sessions.begin() as session:
        driver = await driver_connection(session)
        by_driver = (await _TRANSACTION_ID.fetch(driver, {}))[0]["id"]
        if fast_path:
            assert driver.is_in_transaction()
        else:
            assert driver is session
        by_session = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        assert by_driver == by_session


async def test_driver_writes_roll_back_and_commit_with_the_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        await _insert_then_fail(sessions)
    assert await _count(sessions) == 0

    async with sessions.begin() as session:
        await _INSERT.fetch(await driver_connection(session), {"id": uuid.uuid4()})
        await session.execute(insert(t.merchant).values(id=uuid.uuid4()))
    assert await _count(sessions) == 2


def test_an_expanding_parameter_is_refused() -> None:
    with pytest.raises(ValueError, match="expanding"):
        DriverStatement(select(column("n")).where(column("n").in_(bindparam("ns", expanding=True))))


async def _merchants_inside(
    engine: AsyncEngine, ids: list[uuid.UUID], *, fail: bool = False, key: str = "probe:1"
) -> None:
    async with engine.connect() as connection, locked_transaction(connection, key) as driver:
        await _INSERT.fetch(driver, {"id": ids[0]})
        # A session on the same connection writes inside the same transaction.
        session = AsyncSession(bind=connection)
        await session.execute(insert(t.merchant).values(id=ids[1]))
        await session.close()
        if fail:
            raise RuntimeError("roll back")


async def test_a_locked_transaction_commits_and_rolls_back_driver_and_session_writes(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    with pytest.raises(RuntimeError):
        await _merchants_inside(engine, [uuid.uuid4(), uuid.uuid4()], fail=True)
    assert await _count(sessions) == 0
    await _merchants_inside(engine, [uuid.uuid4(), uuid.uuid4()])
    assert await _count(sessions) == 2


async def _lock_free(engine: AsyncEngine, key: str) -> bool:
    async with engine.connect() as connection:
        rows = await _TRY_LOCK.fetch(await driver_connection(connection), {"key": key})
        return bool(rows[0][0])


async def test_a_locked_transaction_holds_its_lock_until_it_ends(engine: AsyncEngine) -> None:
    async with engine.connect() as connection, locked_transaction(connection, "probe:2"):
        assert not await _lock_free(engine, "probe:2")
    assert await _lock_free(engine, "probe:2")


async def test_a_cancelled_locked_transaction_leaves_no_transaction_in_the_pool(
    database_url: str,
) -> None:
    engine = create_engine(database_url, pool_size=1, application_name="driver-test")
    try:

        async def stuck() -> None:
            async with engine.connect() as connection, locked_transaction(connection, "probe:3"):
                await asyncio.sleep(30)

        task = asyncio.create_task(stuck())
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            assert not driver.is_in_transaction()
        assert await _lock_free(engine, "probe:3")
    finally:
        await engine.dispose()


async def test_a_lock_key_that_is_not_a_plain_literal_is_refused(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        with pytest.raises(ValueError, match="plain literal"):
            await _enter(connection, "x', 0)); DROP TABLE merchant; --")


async def _enter(connection: AsyncConnection, key: str) -> None:
    async with locked_transaction(connection, key):
        raise AssertionError("not reached")
