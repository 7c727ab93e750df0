"""The demo café's purchasing: a dairy that delivers milk by the case (already received
once, so suggestions round to cases and name it), a draft order waiting to be submitted,
and par levels at MAIN that make reorder suggestions move as `inventory simulate` sells.

Seeded like the rest of the demo (app/dev_seed.py): found by natural key (vendor name,
order number) before being created, and pars set only on stocks that have none, so a
second start changes nothing and what the developer changed stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from app.db import tables as t
from app.db.unit_of_work import UnitOfWork
from app.dev_catalog import DEMO_MERCHANT_ID
from app.domain.enums import ItemType, PurchaseOrderStatus
from app.services.context import Actor
from app.services.purchase_orders import PurchaseOrderLineInput, create_purchase_order
from app.services.purchase_receipts import receive_purchase_order
from app.services.stock_pars import set_stock_par
from app.services.stock_refs import StockRef
from app.services.vendors import create_vendor

DAIRY_NAME = "Alpine Dairy"
RECEIVED_NUMBER = "DEMO-0002"
DRAFT_NUMBER = "DEMO-0003"
CURRENCY = "EUR"
# At MAIN, per material key: (par level, reorder point, unit). Before any sale, MAIN's
# milk (42 l on hand after the dairy's case, 24 l incoming on DEMO-0001), oat milk (8 l
# + 6 l) and cups (400 + 500) are at or below their points; beans follow as sold.
PARS: dict[str, tuple[str, str, str | None]] = {
    "milk": ("6", "5.5", "case"),
    "beans": ("12", "10", "kg"),
    "oat": ("16", "14", "l"),
    "cup": ("1200", "1000", None),
}

Find = Callable[[UnitOfWork, Table, Any, str], Awaitable[uuid.UUID | None]]


async def seed_purchasing(
    sessions: UnitOfWork,
    actor: Actor,
    find: Find,
    main: uuid.UUID,
    harbour_vendor: uuid.UUID,
    materials: dict[str, uuid.UUID],
) -> None:
    dairy = await find(sessions, t.vendor, t.vendor.c.name, DAIRY_NAME)
    if dairy is None:
        dairy = (
            await create_vendor(
                sessions,
                actor,
                name=DAIRY_NAME,
                email="orders@alpine-dairy.example",
                idempotency_key="demo-seed:vendor:dairy",
            )
        ).vendor_id
    milk_case = PurchaseOrderLineInput(
        ItemType.MATERIAL, materials["milk"], Decimal("1"), Decimal("14.40"), unit="case"
    )
    received = await _order(sessions, actor, find, RECEIVED_NUMBER, main, dairy, [milk_case])
    if await _status(sessions, received) is PurchaseOrderStatus.ORDERED:
        await receive_purchase_order(
            sessions, actor, received, idempotency_key="demo-seed:receive:dairy"
        )
    oat = PurchaseOrderLineInput(
        ItemType.MATERIAL, materials["oat"], Decimal("6"), Decimal("2.1"), unit="l"
    )
    await _order(
        sessions,
        actor,
        find,
        DRAFT_NUMBER,
        main,
        harbour_vendor,
        [oat],
        status=PurchaseOrderStatus.DRAFT,
    )
    for key, (par, point, unit) in PARS.items():
        await _par(sessions, actor, main, materials[key], Decimal(par), Decimal(point), unit)


async def _order(
    sessions: UnitOfWork,
    actor: Actor,
    find: Find,
    number: str,
    location_id: uuid.UUID,
    vendor_id: uuid.UUID,
    lines: list[PurchaseOrderLineInput],
    status: PurchaseOrderStatus = PurchaseOrderStatus.ORDERED,
) -> uuid.UUID:
    existing = await find(sessions, t.purchase_order, t.purchase_order.c.number, number)
    if existing is not None:
        return existing
    created = await create_purchase_order(
        sessions,
        actor,
        location_id=location_id,
        vendor_id=vendor_id,
        currency=CURRENCY,
        lines=lines,
        number=number,
        status=status,
        idempotency_key=f"demo-seed:purchase-order:{number}",
    )
    return created.purchase_order_id


async def _status(sessions: UnitOfWork, purchase_order_id: uuid.UUID) -> PurchaseOrderStatus:
    async with sessions() as session:
        status = (
            await session.execute(
                select(t.purchase_order.c.status).where(t.purchase_order.c.id == purchase_order_id)
            )
        ).scalar_one()
    return PurchaseOrderStatus(status)


async def _par(
    sessions: UnitOfWork,
    actor: Actor,
    location_id: uuid.UUID,
    material_id: uuid.UUID,
    par: Decimal,
    point: Decimal,
    unit: str | None,
) -> None:
    stock = t.stock
    async with sessions() as session:
        row = (
            await session.execute(
                select(stock.c.par_level, stock.c.reorder_point).where(
                    stock.c.merchant_id == DEMO_MERCHANT_ID,
                    stock.c.location_id == location_id,
                    stock.c.material_id == material_id,
                )
            )
        ).first()
    if row is not None and (row.par_level is not None or row.reorder_point is not None):
        return
    ref = StockRef(location_id=location_id, item_type=ItemType.MATERIAL, item_id=material_id)
    await set_stock_par(sessions, actor, ref=ref, par_level=par, reorder_point=point, unit=unit)
