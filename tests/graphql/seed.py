"""Rows for GraphQL tests, written directly (the services have their own tests)."""

from __future__ import annotations

import uuid
from decimal import Decimal

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
