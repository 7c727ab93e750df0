"""Rows for the realtime tests: a shop, items and materials, and moves through the ledger."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import InventoryItem, Location, Material
from app.domain.enums import MovementType, ReferenceType
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Shop:
    merchant_id: uuid.UUID
    location_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(self.merchant_id, "user:realtime-test")


async def a_shop(sessions: Sessions, merchant_id: uuid.UUID | None = None) -> Shop:
    merchant_id = merchant_id or uuid.uuid4()
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant_id, name="Main", is_default=True)
        session.add(location)
    return Shop(merchant_id, location.id)


async def another_location(sessions: Sessions, shop: Shop) -> Shop:
    async with sessions.begin() as session:
        location = Location(merchant_id=shop.merchant_id, name="Kitchen", is_default=False)
        session.add(location)
    return Shop(shop.merchant_id, location.id)


async def an_item(
    sessions: Sessions, shop: Shop, name: str = "latte"
) -> tuple[uuid.UUID, uuid.UUID]:
    """(inventory item id, product variant id) of a tracked item."""
    variant_id = uuid.uuid4()
    async with sessions.begin() as session:
        item = InventoryItem(
            merchant_id=shop.merchant_id,
            product_variant_id=variant_id,
            name=name,
            track_inventory=True,
        )
        session.add(item)
    return item.id, variant_id


async def a_material(sessions: Sessions, shop: Shop, name: str = "milk") -> uuid.UUID:
    async with sessions.begin() as session:
        material = Material(merchant_id=shop.merchant_id, name=name, unit="ml")
        session.add(material)
    return material.id


def product(shop: Shop, item_id: uuid.UUID) -> StockKey:
    return StockKey.product(shop.location_id, item_id)


def material(shop: Shop, material_id: uuid.UUID) -> StockKey:
    return StockKey.material(shop.location_id, material_id)


async def adjust(sessions: Sessions, shop: Shop, key: StockKey, delta: str) -> None:
    """One ADJUSTMENT through the ledger: a movement and its stock-changed outbox row."""
    async with sessions.begin() as session:
        stocks = await lock_stocks(session, shop.merchant_id, [key])
        move = Move(
            key,
            MovementType.ADJUSTMENT,
            ReferenceType.MANUAL,
            f"adj-{uuid.uuid4()}",
            delta_on_hand=Decimal(delta),
            reason="counted",
        )
        await apply_moves(session, shop.actor, stocks, [move])


async def stock_id(sessions: Sessions, key: StockKey) -> uuid.UUID:
    column = (
        t.stock.c.inventory_item_id if key.item_type.value == "PRODUCT" else t.stock.c.material_id
    )
    async with sessions() as session:
        found = await session.execute(
            select(t.stock.c.id).where(
                t.stock.c.location_id == key.location_id, column == key.item_id
            )
        )
        return found.scalar_one()


async def set_threshold(sessions: Sessions, key: StockKey, threshold: str) -> None:
    sid = await stock_id(sessions, key)
    async with sessions.begin() as session:
        await session.execute(
            update(t.stock)
            .where(t.stock.c.id == sid)
            .values(low_stock_threshold=Decimal(threshold))
        )


async def forget_staged_events(sessions: Sessions) -> None:
    """Mark the outbox rows of the seeding as sent, so the relay publishes only what follows."""
    async with sessions.begin() as session:
        await session.execute(
            update(t.outbox_event)
            .where(t.outbox_event.c.sent_at.is_(None))
            .values(sent_at=func.now())
        )


async def rename_location(sessions: Sessions, shop: Shop, name: str) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(t.location).where(t.location.c.id == shop.location_id).values(name=name)
        )
