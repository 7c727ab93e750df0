"""The database itself refuses what the model forbids, whatever the code does."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import InventoryItem, Location, Material, Stock, StockMovement
from app.domain.enums import ItemType, MovementType, ReferenceType

MERCHANT = uuid.uuid4()


async def _add(sessions: async_sessionmaker[AsyncSession], *rows: object) -> None:
    async with sessions.begin() as session:
        session.add_all(rows)


async def test_a_merchant_has_at_most_one_default_location(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _add(sessions, Location(merchant_id=MERCHANT, name="Main", is_default=True))

    with pytest.raises(IntegrityError, match="uq_location_one_default"):
        await _add(sessions, Location(merchant_id=MERCHANT, name="Second", is_default=True))
    # Other merchants and non-default locations are unaffected.
    await _add(
        sessions,
        Location(merchant_id=MERCHANT, name="Kitchen"),
        Location(merchant_id=uuid.uuid4(), name="Main", is_default=True),
    )


async def test_one_inventory_item_per_product_variant(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    variant = uuid.uuid4()
    await _add(sessions, InventoryItem(merchant_id=MERCHANT, product_variant_id=variant, name="A"))

    with pytest.raises(IntegrityError, match="uq_inventory_item_merchant_id_product_variant_id"):
        await _add(
            sessions, InventoryItem(merchant_id=MERCHANT, product_variant_id=variant, name="B")
        )


async def test_the_ledger_key_refuses_a_second_identical_movement(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = Location(merchant_id=MERCHANT, name="Main")
    material = Material(merchant_id=MERCHANT, name="Milk", unit="ml")
    await _add(sessions, location, material)
    stock = Stock(
        merchant_id=MERCHANT,
        location_id=location.id,
        item_type=ItemType.MATERIAL,
        material_id=material.id,
    )
    await _add(sessions, stock)

    def movement() -> StockMovement:
        return StockMovement(
            merchant_id=MERCHANT,
            stock_id=stock.id,
            location_id=location.id,
            type=MovementType.SALE_RESERVATION,
            reference_type=ReferenceType.SALE_ORDER,
            reference_id="order-1",
            delta_reserved=Decimal("5"),
            on_hand_after=Decimal(0),
            reserved_after=Decimal("5"),
        )

    await _add(sessions, movement())
    with pytest.raises(IntegrityError, match="uq_stock_movement"):
        await _add(sessions, movement())


async def test_a_stock_holds_exactly_one_kind_of_item(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = Location(merchant_id=MERCHANT, name="Main")
    await _add(sessions, location)

    with pytest.raises(IntegrityError, match="one_item"):
        await _add(
            sessions,
            Stock(merchant_id=MERCHANT, location_id=location.id, item_type=ItemType.MATERIAL),
        )


async def test_available_is_computed_by_the_database(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location = Location(merchant_id=MERCHANT, name="Main")
    material = Material(merchant_id=MERCHANT, name="Beans", unit="g")
    await _add(sessions, location, material)
    stock = Stock(
        merchant_id=MERCHANT,
        location_id=location.id,
        item_type=ItemType.MATERIAL,
        material_id=material.id,
        on_hand=Decimal("1250.500"),
        reserved=Decimal("36"),
    )
    await _add(sessions, stock)

    async with sessions() as session:
        fresh = await session.get(Stock, stock.id)

    assert fresh is not None
    assert fresh.available == Decimal("1214.500")
