"""A request's reads hold one pooled connection (reads.py): driver-only reads take it
without a session, a later read that needs a session gives it back first, and the read
budget's slot is taken once and given back at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.driver import Transactional, use_driver_statements
from app.db.unit_of_work import UnitOfWork
from app.settings import Settings
from graphql_schema.read_budget import ReadBudget, ReadsBusy
from graphql_schema.reads import Reads


@pytest.fixture(params=[True, False], ids=["driver", "sqlalchemy"])
def driver_statements(request: pytest.FixtureRequest) -> Iterator[bool]:
    use_driver_statements(request.param)
    yield request.param
    use_driver_statements(Settings().database_driver_statements)


async def _backend(unit: Transactional) -> int:
    if isinstance(unit, AsyncSession):
        return int((await unit.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    assert isinstance(unit, asyncpg.Connection)
    assert not unit.is_in_transaction()  # autocommit, as the read sessions read
    return int(await unit.fetchval("SELECT pg_backend_pid()"))


async def test_driver_reads_then_a_session_read_hold_one_connection_at_a_time(
    engine: AsyncEngine, sessions: UnitOfWork, driver_statements: bool
) -> None:
    budget = ReadBudget(1, 0.05)
    reads = Reads(sessions.read_sessions(), budget, engine)
    pool = engine.sync_engine.pool
    before = pool.checkedout()  # type: ignore[attr-defined]

    first = await reads.run_driver(_backend)
    again = await reads.run_driver(_backend)
    assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    in_session = await reads.run(_backend)
    assert pool.checkedout() == before + 1  # type: ignore[attr-defined]
    after_session = await reads.run_driver(_backend)
    # The budget's one slot is this request's: another request is refused meanwhile.
    with pytest.raises(ReadsBusy):
        await Reads(sessions.read_sessions(), budget, engine).run_driver(_backend)
    await reads.close()

    assert first == again
    assert after_session == in_session  # the session's connection, once it is open
    assert pool.checkedout() == before  # type: ignore[attr-defined]
    other = Reads(sessions.read_sessions(), budget, engine)
    await other.run_driver(_backend)  # the slot was given back
    await other.close()


async def test_a_driver_read_sees_what_was_committed_since_the_last_one(
    engine: AsyncEngine, sessions: UnitOfWork, driver_statements: bool
) -> None:
    reads = Reads(sessions.read_sessions(), None, engine)

    async def count(unit: Transactional) -> int:
        sql = "SELECT count(*) FROM location"
        if isinstance(unit, AsyncSession):
            return int((await unit.execute(text(sql))).scalar_one())
        return int(await unit.fetchval(sql))

    assert await reads.run_driver(count) == 0
    async with sessions.begin() as session:
        await session.execute(
            text(
                "INSERT INTO location (id, merchant_id, name, is_default, archived, created_at,"
                " updated_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'Bar', false,"
                " false, now(), now())"
            )
        )
    assert await reads.run_driver(count) == 1
    await reads.close()


async def test_a_driver_read_cut_short_closes_its_connection_instead_of_pooling_it(
    engine: AsyncEngine, sessions: UnitOfWork
) -> None:
    # graphql-core cancels a field's siblings when an error nulls their parent: a page's
    # statement can be cancelled mid-flight, its backend still inside it.
    use_driver_statements(True)
    reads = Reads(sessions.read_sessions(), None, engine)
    backend = await reads.run_driver(_backend)
    used: list[asyncpg.Connection] = []

    async def slow(unit: Transactional) -> None:
        assert isinstance(unit, asyncpg.Connection)
        used.append(unit)
        await unit.fetch("SELECT pg_sleep(1)")

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reads.run_driver(slow), 0.2)
    await reads.close()

    assert used[0].is_closed()  # terminated, not given back to the pool
    assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    other = Reads(sessions.read_sessions(), None, engine)
    assert await other.run_driver(_backend) != backend  # another connection serves
    await other.close()


@pytest.mark.parametrize("driver_read", [True, False], ids=["driver", "session"])
async def test_a_read_cut_short_leaves_no_lock_behind(
    engine: AsyncEngine, sessions: UnitOfWork, driver_read: bool
) -> None:
    # What a cancelled read left behind once blocked the next test's TRUNCATE: whether it
    # ran on the pooled connection or in a session, once the request's reads are closed
    # no backend may still hold the statement's locks.
    use_driver_statements(driver_read)
    reads = Reads(sessions.read_sessions(), None, engine)
    sleeping = "SELECT pg_sleep(5) FROM (SELECT count(*) FROM stock) AS locked"

    async def slow(unit: Transactional) -> None:
        if isinstance(unit, AsyncSession):
            await unit.execute(text(sleeping))
        else:
            await unit.fetch(sleeping)

    read = reads.run_driver(slow) if driver_read else reads.run(slow)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(read, 0.3)
    await reads.close()

    async with engine.connect() as connection:
        await connection.execute(text("SET lock_timeout = '1s'"))
        # Fails (lock timeout) while a backend still holds the page's share lock.
        await connection.execute(text("LOCK TABLE stock IN ACCESS EXCLUSIVE MODE"))
        await connection.rollback()
    use_driver_statements(Settings().database_driver_statements)
