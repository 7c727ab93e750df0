"""Givens for the /v1 tests, written through the services (the way the app writes them)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from app.services.context import Actor
from app.services.locations import create_location
from app.services.materials import create_material
from app.services.purchase_orders import PurchaseOrderLineInput, create_purchase_order
from app.services.stock_adjustments import adjust_stock, set_low_stock_threshold
from app.services.stock_refs import StockRef
from app.services.vendors import create_vendor
from tests.rest.conftest import MERCHANT_A

Sessions = async_sessionmaker[AsyncSession]


def actor(merchant_id: uuid.UUID = MERCHANT_A) -> Actor:
    return Actor(merchant_id, "user:seed")


async def location(sessions: Sessions, name: str, merchant_id: uuid.UUID = MERCHANT_A) -> uuid.UUID:
    return (await create_location(sessions, actor(merchant_id), name=name)).location_id


async def material(
    sessions: Sessions, name: str, unit: str = "g", merchant_id: uuid.UUID = MERCHANT_A
) -> uuid.UUID:
    return (await create_material(sessions, actor(merchant_id), name=name, unit=unit)).material_id


async def material_stock(
    sessions: Sessions,
    location_id: uuid.UUID,
    material_id: uuid.UUID,
    on_hand: str,
    *,
    threshold: str | None = None,
    merchant_id: uuid.UUID = MERCHANT_A,
) -> uuid.UUID:
    ref = StockRef(location_id=location_id, item_type=ItemType.MATERIAL, item_id=material_id)
    result = await adjust_stock(
        sessions, actor(merchant_id), ref=ref, delta=Decimal(on_hand), reason="seed"
    )
    if threshold is not None:
        await set_low_stock_threshold(
            sessions, actor(merchant_id), ref=ref, threshold=Decimal(threshold)
        )
    return result.stock_id


async def purchase_order(
    sessions: Sessions,
    location_id: uuid.UUID,
    lines: list[tuple[uuid.UUID, str, str]],
    merchant_id: uuid.UUID = MERCHANT_A,
) -> uuid.UUID:
    """An ORDERED purchase order of materials: (material id, quantity, unit cost) per line."""
    vendor = await create_vendor(sessions, actor(merchant_id), name="Dairy Co")
    result = await create_purchase_order(
        sessions,
        actor(merchant_id),
        location_id=location_id,
        vendor_id=vendor.vendor_id,
        currency="EUR",
        lines=[
            PurchaseOrderLineInput(ItemType.MATERIAL, item, Decimal(qty), Decimal(cost))
            for item, qty, cost in lines
        ],
    )
    return result.purchase_order_id


async def line_ids(sessions: Sessions, purchase_order_id: uuid.UUID) -> list[uuid.UUID]:
    line = t.purchase_order_line
    async with sessions() as session:
        rows = await session.execute(
            select(line.c.id)
            .where(line.c.purchase_order_id == purchase_order_id)
            .order_by(line.c.position, line.c.id)
        )
        return list(rows.scalars())


async def count(sessions: Sessions, table: str) -> int:
    async with sessions() as session:
        statement = select(func.count()).select_from(getattr(t, table))
        return int((await session.execute(statement)).scalar_one())
