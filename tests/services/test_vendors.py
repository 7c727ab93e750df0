"""Vendors: created per merchant, validated, idempotent by key."""

import pytest
from sqlalchemy import select

from app.db import tables as t
from app.domain.errors import DomainError, UserErrorCode
from app.services.vendors import create_vendor
from tests.services.purchasing_builders import Sessions, new_actor


async def test_a_vendor_is_stored_with_blank_optionals_as_null(sessions: Sessions) -> None:
    actor = new_actor()

    result = await create_vendor(
        sessions, actor, name="  Dairy Co ", tax_id="DE123", email="a@dairy.example", phone="  "
    )

    async with sessions() as session:
        row = (await session.execute(select(t.vendor))).one()
    assert row.id == result.vendor_id
    assert row.merchant_id == actor.merchant_id
    assert (row.name, row.tax_id, row.email, row.phone, row.address) == (
        "Dairy Co",
        "DE123",
        "a@dairy.example",
        None,
        None,
    )
    assert row.archived is False


async def test_blank_name_and_malformed_email_are_reported_together(sessions: Sessions) -> None:
    with pytest.raises(DomainError) as refused:
        await create_vendor(sessions, new_actor(), name="   ", email="not an email")

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.REQUIRED, ("input", "name")),
        (UserErrorCode.INVALID, ("input", "email")),
    ]
    async with sessions() as session:
        assert (await session.execute(select(t.vendor))).all() == []


async def test_the_same_idempotency_key_returns_the_first_vendor(sessions: Sessions) -> None:
    actor = new_actor()
    first = await create_vendor(sessions, actor, name="Dairy Co", idempotency_key="k1")

    again = await create_vendor(sessions, actor, name="Dairy Co", idempotency_key="k1")
    with pytest.raises(DomainError) as mismatch:
        await create_vendor(sessions, actor, name="Bakery", idempotency_key="k1")

    async with sessions() as session:
        count = len((await session.execute(select(t.vendor.c.id))).all())
    assert again == first
    assert count == 1
    assert mismatch.value.codes == [UserErrorCode.IDEMPOTENCY_KEY_MISMATCH]
