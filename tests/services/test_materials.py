"""Materials: create, update, archive; the unit is fixed once quantities exist in it."""

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
from app.services.materials import archive_material, create_material, update_material
from app.services.recipes import RecipeLineInput, set_modifier_recipe
from app.services.stock_adjustments import adjust_stock, set_low_stock_threshold
from app.services.stock_refs import StockRef

MERCHANT = uuid.uuid4()
OTHER = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")
UNIT = ("input", "unit")


def _problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[UserErrorCode, object]]:
    return [(p.code, p.field) for p in error.value.problems]


async def _material(sessions: async_sessionmaker[AsyncSession], material_id: uuid.UUID) -> Material:
    async with sessions() as session:
        material = await session.get(Material, material_id)
    assert material is not None
    return material


async def _location(sessions: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with sessions.begin() as session:
        location = Location(merchant_id=MERCHANT, name="Main", is_default=True)
        session.add(location)
    return location.id


async def test_create_stores_the_material_and_its_default_threshold_reaches_new_stocks(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = await _location(sessions)

    made = await create_material(
        sessions,
        ACTOR,
        name=" Oat milk ",
        unit=" ml ",
        sku="OAT-1",
        low_stock_threshold=Decimal(500),
    )
    ref = StockRef(location_id=location, item_type=ItemType.MATERIAL, item_id=made.material_id)
    stocked = await adjust_stock(sessions, ACTOR, ref=ref, delta=Decimal(200), reason="restock")

    material = await _material(sessions, made.material_id)
    async with sessions() as session:
        stock = (
            await session.execute(select(t.stock).where(t.stock.c.id == stocked.stock_id))
        ).one()
        payload = (await session.execute(select(t.outbox_event.c.payload))).scalars().first()
    assert (material.merchant_id, material.name, material.unit, material.sku) == (
        MERCHANT,
        "Oat milk",
        "ml",
        "OAT-1",
    )
    assert (material.archived, material.default_low_stock_threshold) == (False, Decimal(500))
    assert stock.low_stock_threshold == Decimal(500)
    assert payload is not None
    assert payload["lowStock"] is True


async def test_create_reports_every_bad_field_together(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(DomainError) as missing:
        await create_material(sessions, ACTOR, name="", unit="  ", low_stock_threshold=Decimal(-1))
    with pytest.raises(DomainError) as too_long:
        await create_material(sessions, ACTOR, name="Flour", unit="u" * 17)

    assert _problems(missing) == [
        (UserErrorCode.REQUIRED, ("input", "name")),
        (UserErrorCode.REQUIRED, UNIT),
        (UserErrorCode.INVALID, ("input", "lowStockThreshold")),
    ]
    assert _problems(too_long) == [(UserErrorCode.INVALID, UNIT)]


async def test_update_changes_the_given_fields_and_a_blank_sku_clears_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    made = await create_material(sessions, ACTOR, name="Milk", unit="ml", sku="M1")
    before = await _material(sessions, made.material_id)

    await update_material(sessions, ACTOR, made.material_id, name="Whole milk", sku="", unit="l")

    after = await _material(sessions, made.material_id)
    assert (after.name, after.sku, after.unit) == ("Whole milk", None, "l")
    assert after.updated_at > before.updated_at


async def test_the_unit_cannot_change_once_a_stock_or_a_recipe_uses_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = await _location(sessions)
    stocked = await create_material(sessions, ACTOR, name="Milk", unit="ml")
    in_recipe = await create_material(sessions, ACTOR, name="Syrup", unit="ml")
    ref = StockRef(location_id=location, item_type=ItemType.MATERIAL, item_id=stocked.material_id)
    await set_low_stock_threshold(sessions, ACTOR, ref=ref, threshold=Decimal(1))
    await set_modifier_recipe(
        sessions,
        ACTOR,
        modifier_option_id=uuid.uuid4(),
        lines=[RecipeLineInput(in_recipe.material_id, Decimal(10))],
    )

    for made in (stocked, in_recipe):
        with pytest.raises(DomainError) as refused:
            await update_material(sessions, ACTOR, made.material_id, name="New", unit="l")
        assert _problems(refused) == [(UserErrorCode.UNIT_MISMATCH, UNIT)]
        await update_material(sessions, ACTOR, made.material_id, name="New", unit=" ml")
        material = await _material(sessions, made.material_id)
        assert (material.name, material.unit) == ("New", "ml")


async def test_another_merchants_material_is_not_found(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    theirs = await create_material(sessions, Actor(OTHER), name="Milk", unit="ml")

    with pytest.raises(DomainError) as update:
        await update_material(sessions, ACTOR, theirs.material_id, name="Mine")
    with pytest.raises(DomainError) as archive:
        await archive_material(sessions, ACTOR, theirs.material_id)

    assert _problems(update) == [(UserErrorCode.NOT_FOUND, ("id",))]
    assert _problems(archive) == [(UserErrorCode.NOT_FOUND, ("id",))]
    material = await _material(sessions, theirs.material_id)
    assert (material.name, material.archived) == ("Milk", False)


async def test_an_archived_material_takes_no_stock_writes_recipe_lines_or_updates(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = await _location(sessions)
    made = await create_material(sessions, ACTOR, name="Milk", unit="ml")
    ref = StockRef(location_id=location, item_type=ItemType.MATERIAL, item_id=made.material_id)

    await archive_material(sessions, ACTOR, made.material_id)
    await archive_material(sessions, ACTOR, made.material_id)
    with pytest.raises(DomainError) as write:
        await adjust_stock(sessions, ACTOR, ref=ref, delta=Decimal(1), reason="restock")
    with pytest.raises(DomainError) as recipe:
        await set_modifier_recipe(
            sessions,
            ACTOR,
            modifier_option_id=uuid.uuid4(),
            lines=[RecipeLineInput(made.material_id, Decimal(1))],
        )
    with pytest.raises(DomainError) as update:
        await update_material(sessions, ACTOR, made.material_id, name="Back")

    assert (await _material(sessions, made.material_id)).archived is True
    assert _problems(write) == [(UserErrorCode.ARCHIVED, ("input", "stock", "itemId"))]
    assert _problems(recipe) == [(UserErrorCode.ARCHIVED, ("lines", 0, "materialId"))]
    assert _problems(update) == [(UserErrorCode.ARCHIVED, ("id",))]
