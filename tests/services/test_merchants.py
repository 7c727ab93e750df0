"""Merchant CDC upserts and the one default location per merchant."""

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from app.db import tables as t
from app.services.merchants import MerchantChange, ensure_default_location, ensure_merchant
from tests.services.sales_builders import (
    Sessions,
    ledger_checked,  # noqa: F401 (the fixture below)
)

pytestmark = pytest.mark.usefixtures("ledger_checked")


def _change(
    merchant_id: uuid.UUID, name: str, lsn: int | None, *, deleted: bool = False
) -> MerchantChange:
    return MerchantChange(merchant_id, name, "ACTIVE", "VND", "Asia/Ho_Chi_Minh", lsn, deleted)


async def _merchant(sessions: Sessions, merchant_id: uuid.UUID) -> tuple[object, ...]:
    async with sessions() as session:
        row = (
            await session.execute(
                select(t.merchant.c.name, t.merchant.c.status, t.merchant.c.source_lsn).where(
                    t.merchant.c.id == merchant_id
                )
            )
        ).one()
    return tuple(row)


async def _locations(sessions: Sessions, merchant_id: uuid.UUID) -> list[tuple[object, ...]]:
    async with sessions() as session:
        rows = await session.execute(
            select(t.location.c.id, t.location.c.is_default).where(
                t.location.c.merchant_id == merchant_id
            )
        )
    return [tuple(r) for r in rows]


async def test_create_upserts_the_merchant_with_its_default_location(sessions: Sessions) -> None:
    merchant_id = uuid.uuid4()

    outcome = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))

    assert outcome.changed
    assert await _merchant(sessions, merchant_id) == ("Kopi Corner", "ACTIVE", 100)
    assert await _locations(sessions, merchant_id) == [(outcome.default_location_id, True)]


async def test_redelivery_is_a_no_op(sessions: Sessions) -> None:
    merchant_id = uuid.uuid4()
    first = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))

    again = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))

    assert (again.changed, again.default_location_id) == (False, first.default_location_id)
    assert len(await _locations(sessions, merchant_id)) == 1


async def test_an_older_change_arriving_late_is_ignored(sessions: Sessions) -> None:
    merchant_id = uuid.uuid4()
    await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner 2", 200))

    late = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))

    assert not late.changed
    assert await _merchant(sessions, merchant_id) == ("Kopi Corner 2", "ACTIVE", 200)


async def test_a_merchant_first_named_by_an_event_takes_the_cdc_change(
    sessions: Sessions,
) -> None:
    merchant_id = uuid.uuid4()
    async with sessions.begin() as session:
        location_id = await ensure_default_location(session, merchant_id)

    outcome = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))

    assert (outcome.changed, outcome.default_location_id) == (True, location_id)
    assert await _merchant(sessions, merchant_id) == ("Kopi Corner", "ACTIVE", 100)


async def test_delete_marks_the_merchant_deleted_unless_stale(sessions: Sessions) -> None:
    merchant_id = uuid.uuid4()
    await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 100))
    await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 300, deleted=True))

    stale = await ensure_merchant(sessions, _change(merchant_id, "Kopi Corner", 200))

    assert not stale.changed
    assert await _merchant(sessions, merchant_id) == ("Kopi Corner", "DELETED", 300)


async def test_concurrent_ensure_default_location_creates_one(sessions: Sessions) -> None:
    merchant_id = uuid.uuid4()

    async def ensure() -> uuid.UUID:
        async with sessions.begin() as session:
            return await ensure_default_location(session, merchant_id)

    ids = await asyncio.gather(*(ensure() for _ in range(15)))

    async with sessions() as session:
        merchants = (
            await session.execute(select(func.count()).select_from(t.merchant))
        ).scalar_one()
    assert len(set(ids)) == 1
    assert await _locations(sessions, merchant_id) == [(ids[0], True)]
    assert merchants == 1
