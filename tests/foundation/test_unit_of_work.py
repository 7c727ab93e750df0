"""The one way services hold a transaction: `UnitOfWork.transaction`, plain or locked.

Its ORM statements and the hot path's driver statements are one transaction, committed
on a clean exit and rolled back on an error, and a locked one holds its advisory locks
until it ends.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Text, bindparam, func, insert, select, text

from app.db import tables as t
from app.db.driver import DriverStatement, driver_connection
from app.db.unit_of_work import UnitOfWork

_INSERT = DriverStatement(insert(t.merchant).values(id=bindparam("id", type_=t.merchant.c.id.type)))
_TRANSACTION_ID = DriverStatement(select(func.txid_current()))
_TRY_LOCK = DriverStatement(
    select(func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=Text), 0)))
)


async def _merchants(uow: UnitOfWork) -> int:
    async with uow() as session:
        return int(
            (await session.execute(select(func.count()).select_from(t.merchant))).scalar_one()
        )


async def _write_both(uow: UnitOfWork, lock_keys: list[str], *, fail: bool) -> None:
    async with uow.transaction(lock_keys=lock_keys) as session:
        await _INSERT.fetch(await driver_connection(session), {"id": uuid.uuid4()})
        await session.execute(insert(t.merchant).values(id=uuid.uuid4()))
        if fail:
            raise RuntimeError("roll back")


@pytest.mark.parametrize("lock_keys", [[], ["probe:uow-1", "probe:uow-2"]])
async def test_driver_and_orm_writes_commit_and_roll_back_together(
    sessions: UnitOfWork, lock_keys: list[str]
) -> None:
    with pytest.raises(RuntimeError):
        await _write_both(sessions, lock_keys, fail=True)
    assert await _merchants(sessions) == 0

    await _write_both(sessions, lock_keys, fail=False)

    assert await _merchants(sessions) == 2


async def test_a_locked_transaction_is_one_transaction_holding_its_locks_until_it_ends(
    sessions: UnitOfWork,
) -> None:
    async def lock_free(key: str) -> bool:
        async with sessions.engine.connect() as connection:
            rows = await _TRY_LOCK.fetch(await driver_connection(connection), {"key": key})
            return bool(rows[0][0])

    async with sessions.transaction(lock_keys=["probe:uow-3"]) as session:
        by_session = (await session.execute(text("SELECT txid_current()"))).scalar_one()
        by_driver = await _TRANSACTION_ID.fetch(await driver_connection(session), {})
        assert by_driver[0][0] == by_session
        assert not await lock_free("probe:uow-3")

    assert await lock_free("probe:uow-3")
