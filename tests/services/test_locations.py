"""Locations: create, update, archive; codes unique per merchant; the default stays."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location, Material
from app.domain.enums import ItemType
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.locations import archive_location, create_location, update_location
from app.services.stock_adjustments import adjust_stock
from app.services.stock_refs import StockRef

MERCHANT = uuid.uuid4()
OTHER = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")


def _problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[UserErrorCode, object]]:
    return [(p.code, p.field) for p in error.value.problems]


async def _location(sessions: async_sessionmaker[AsyncSession], location_id: uuid.UUID) -> Location:
    async with sessions() as session:
        location = await session.get(Location, location_id)
    assert location is not None
    return location


async def _default(sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID) -> uuid.UUID:
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant, name="Main", is_default=True)
        session.add(location)
    return location.id


async def test_create_stores_a_trimmed_non_default_location(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    made = await create_location(
        sessions, ACTOR, name="  Kitchen ", code=" K1 ", address="1 Main St"
    )

    location = await _location(sessions, made.location_id)
    assert (location.merchant_id, location.name, location.code, location.address) == (
        MERCHANT,
        "Kitchen",
        "K1",
        "1 Main St",
    )
    assert (location.is_default, location.archived) == (False, False)


async def test_create_reports_every_bad_field_together(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(DomainError) as refused:
        await create_location(sessions, ACTOR, name=" ", code="c" * 65, address="a" * 1001)

    assert _problems(refused) == [
        (UserErrorCode.REQUIRED, ("input", "name")),
        (UserErrorCode.INVALID, ("input", "code")),
        (UserErrorCode.INVALID, ("input", "address")),
    ]


async def test_a_code_is_unique_per_merchant_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await create_location(sessions, ACTOR, name="Bar", code="B")

    with pytest.raises(DomainError) as duplicate:
        await create_location(sessions, ACTOR, name="Bar 2", code="B")
    theirs = await create_location(sessions, Actor(OTHER), name="Bar", code="B")

    assert _problems(duplicate) == [(UserErrorCode.DUPLICATE, ("input", "code"))]
    assert (await _location(sessions, theirs.location_id)).code == "B"


async def test_concurrent_creates_with_one_code_make_one_location(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcomes = await asyncio.gather(
        *(create_location(sessions, ACTOR, name=f"Bar {i}", code="B") for i in range(10)),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 9
    assert {c for e in refused for c in e.codes} == {UserErrorCode.DUPLICATE}


async def test_update_changes_only_the_given_fields_and_blank_clears(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    made = await create_location(sessions, ACTOR, name="Bar", code="B", address="Dock 4")
    before = await _location(sessions, made.location_id)

    await update_location(sessions, ACTOR, made.location_id, name="Terrace", code="")

    after = await _location(sessions, made.location_id)
    assert (after.name, after.code, after.address) == ("Terrace", None, "Dock 4")
    assert after.updated_at > before.updated_at


async def test_update_refuses_a_taken_code_a_blank_name_and_unknown_ids(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await create_location(sessions, ACTOR, name="Bar", code="B")
    made = await create_location(sessions, ACTOR, name="Cellar", code="C")
    theirs = await create_location(sessions, Actor(OTHER), name="Theirs")

    with pytest.raises(DomainError) as taken:
        await update_location(sessions, ACTOR, made.location_id, name=" ", code="B")
    with pytest.raises(DomainError) as not_ours:
        await update_location(sessions, ACTOR, theirs.location_id, name="Mine now")

    assert _problems(taken) == [
        (UserErrorCode.REQUIRED, ("input", "name")),
        (UserErrorCode.DUPLICATE, ("input", "code")),
    ]
    assert _problems(not_ours) == [(UserErrorCode.NOT_FOUND, ("id",))]
    assert (await _location(sessions, theirs.location_id)).name == "Theirs"
    assert (await _location(sessions, made.location_id)).code == "C"


async def test_archive_stops_stock_writes_and_can_be_repeated(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    made = await create_location(sessions, ACTOR, name="Bar")
    async with sessions.begin() as session:
        material = Material(merchant_id=MERCHANT, name="Milk", unit="ml")
        session.add(material)
    ref = StockRef(location_id=made.location_id, item_type=ItemType.MATERIAL, item_id=material.id)

    await archive_location(sessions, ACTOR, made.location_id)
    await archive_location(sessions, ACTOR, made.location_id)
    with pytest.raises(DomainError) as write:
        await adjust_stock(sessions, ACTOR, ref=ref, delta=Decimal(1), reason="restock")
    with pytest.raises(DomainError) as update:
        await update_location(sessions, ACTOR, made.location_id, name="Back")

    assert (await _location(sessions, made.location_id)).archived is True
    assert _problems(write) == [(UserErrorCode.ARCHIVED, ("input", "stock", "locationId"))]
    assert _problems(update) == [(UserErrorCode.ARCHIVED, ("id",))]


async def test_the_default_location_cannot_be_archived(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    default = await _default(sessions, MERCHANT)
    theirs = await _default(sessions, OTHER)

    with pytest.raises(DomainError) as refused:
        await archive_location(sessions, ACTOR, default)
    with pytest.raises(DomainError) as not_ours:
        await archive_location(sessions, ACTOR, theirs)

    assert _problems(refused) == [(UserErrorCode.INVALID_STATE, ("id",))]
    assert _problems(not_ours) == [(UserErrorCode.NOT_FOUND, ("id",))]
    async with sessions() as session:
        archived = (await session.execute(select(t.location.c.archived))).scalars().all()
    assert archived == [False, False]
