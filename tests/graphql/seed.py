"""Rows for GraphQL tests, written directly (the services have their own tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import InventoryItem, Location, Material, Stock, Vendor
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks


async def location(
    sessions: async_sessionmaker[AsyncSession],
    merchant_id: uuid.UUID,
    name: str = "Main",
    *,
    is_default: bool = False,
) -> uuid.UUID:
    row = Location(merchant_id=merchant_id, name=name, is_default=is_default)
    async with sessions.begin() as session:
        session.add(row)
    return row.id


async def material(
    sessions: async_sessionmaker[AsyncSession], merchant_id: uuid.UUID, name: str, unit: str = "g"
) -> uuid.UUID:
    row = Material(merchant_id=merchant_id, name=name, unit=unit)
    async with sessions.begin() as session:
        session.add(row)
    return row.id


async def item(
    sessions: async_sessionmaker[AsyncSession],
    merchant_id: uuid.UUID,
    name: str,
    *,
    track: bool = True,
    variant: uuid.UUID | None = None,
) -> tuple[uuid.UUID, uuid.UUID]:
    """(inventory item id, product variant id)."""
    row = InventoryItem(
        merchant_id=merchant_id,
        product_variant_id=variant or uuid.uuid4(),
        name=name,
        track_inventory=track,
    )
    async with sessions.begin() as session:
        session.add(row)
    return row.id, row.product_variant_id


async def vendor(
    sessions: async_sessionmaker[AsyncSession], merchant_id: uuid.UUID, name: str
) -> uuid.UUID:
    row = Vendor(merchant_id=merchant_id, name=name)
    async with sessions.begin() as session:
        session.add(row)
    return row.id


async def stock(
    sessions: async_sessionmaker[AsyncSession],
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    item_type: ItemType,
    item_id: uuid.UUID,
    on_hand: str = "0",
    *,
    threshold: str | None = None,
) -> uuid.UUID:
    """A stock whose on hand comes from a ledger movement (so the ledger adds up)."""
    key = StockKey(location_id, item_type, item_id)
    async with sessions.begin() as session:
        locked = await lock_stocks(session, merchant_id, [key])
        if Decimal(on_hand) != 0:
            move = Move(
                key,
                MovementType.ADJUSTMENT,
                ReferenceType.MANUAL,
                f"seed-{uuid.uuid4()}",
                Decimal(on_hand),
            )
            await apply_moves(session, Actor(merchant_id, "seed"), locked, [move])
        stock_id = locked[key].id
        if threshold is not None:
            row = await session.get(Stock, stock_id)
            assert row is not None
            row.low_stock_threshold = Decimal(threshold)
    return stock_id


@dataclass(frozen=True)
class FullShop:
    location: uuid.UUID
    product: uuid.UUID
    material: uuid.UUID
    stocks: list[uuid.UUID]  # the product's, then the material's


async def every_column_set(
    sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID
) -> FullShop:
    """A location, a product and a material with every optional column set, a stock of
    each with a par level, reorder point, threshold and a version past 1: for the tests of
    reads that leave the columns a selection does not show NULL."""
    at = await location(sessions, merchant, "Bar")
    product, _ = await item(sessions, merchant, "Flat white")
    milk = await material(sessions, merchant, "Milk", unit="ml")
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE location SET code = 'B1', address = '1 Quay' WHERE id = :id"),
            {"id": at},
        )
        for table, pk in (("inventory_item", product), ("material", milk)):
            await session.execute(
                text(
                    f"UPDATE {table} SET sku = 'SKU-' || name, average_unit_cost = 0.0012, "
                    "units = jsonb_build_array(jsonb_build_object("
                    "'name', 'case', 'quantity', '6', 'unit', unit)) WHERE id = :id"
                ),
                {"id": pk},
            )
    stocks = [
        await stock(sessions, merchant, at, item_type, pk, on_hand="30")
        for item_type, pk in ((ItemType.PRODUCT, product), (ItemType.MATERIAL, milk))
    ]
    async with sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE stock SET par_level = 12000, reorder_point = 3000, "
                "low_stock_threshold = 2000, version = version + 4 WHERE id = ANY(:ids)"
            ),
            {"ids": stocks},
        )
    return FullShop(at, product, milk, stocks)
