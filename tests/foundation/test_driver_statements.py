"""Driver statements run inside the session's transaction: one commit, one rollback.

`app.db.driver` begins SQLAlchemy's lazily begun transaction itself when a driver
statement comes first; these tests hold it to that (a SQLAlchemy upgrade that changed
the adapter would show here), and to the statement's own rules.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import bindparam, column, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.driver import DriverStatement, driver_connection

_TRANSACTION_ID = DriverStatement(select(column("id")).select_from(text("txid_current() AS id")))
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
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        driver = await driver_connection(session)
        by_driver = (await _TRANSACTION_ID.fetch(driver, {}))[0]["id"]
        assert driver.is_in_transaction()
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
