"""What reorder suggestions are computed from, per stock at a location: its quantities,
par level and reorder point, item and units, what ORDERED purchase orders will bring, its
actual usage over a period, and its last receipt (vendor, unit, cost). The rules are
app/domain/reorder.py; this module only reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, not_, or_, select, true
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries.incoming import incoming_by_stock_id
from app.db.queries.stock_history import on_hand_before
from app.domain.enums import MovementType, PurchaseOrderStatus
from app.domain.reorder import FLOW_CANDIDATES

ZERO = Decimal(0)


@dataclass(frozen=True)
class LastReceipt:
    vendor: Any  # the vendor's row
    unit: str | None  # the line's unit; None: the base unit
    unit_cost: Decimal  # per base unit

    @property
    def vendor_id(self) -> uuid.UUID:
        vendor_id: uuid.UUID = self.vendor.id
        return vendor_id


@dataclass(frozen=True)
class ReorderInput:
    stock: Any  # the stock row
    name: str
    base_unit: str
    own_units: Any
    incoming: Decimal
    usage: Decimal
    last_receipt: LastReceipt | None


async def reorder_inputs(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    *,
    usage_from: datetime,
    usage_to: datetime,
) -> list[ReorderInput]:
    """Every stock of a live item at the location with what its suggestion needs, its
    usage over [usage_from, usage_to)."""
    stocks = await _stocks(session, merchant_id, location_id)
    if not stocks:
        return []
    ids = [row.id for row in stocks]
    incoming = await incoming_by_stock_id(session, merchant_id, ids)
    usage = await usage_by_stock(session, merchant_id, location_id, usage_from, usage_to)
    receipts = await last_receipts(session, merchant_id, location_id)
    return [
        ReorderInput(
            stock=row,
            name=row.name,
            base_unit=row.unit,
            own_units=row.units,
            incoming=incoming.get(row.id, ZERO),
            usage=usage.get(row.id, ZERO),
            last_receipt=receipts.get(row.item_id),
        )
        for row in stocks
    ]


async def _stocks(session: AsyncSession, merchant_id: uuid.UUID, location_id: uuid.UUID) -> Any:
    stock, item, material = t.stock, t.inventory_item, t.material
    statement = (
        select(
            stock,
            func.coalesce(stock.c.inventory_item_id, stock.c.material_id).label("item_id"),
            func.coalesce(item.c.name, material.c.name).label("name"),
            func.coalesce(item.c.unit, material.c.unit).label("unit"),
            func.coalesce(item.c.units, material.c.units).label("units"),
        )
        .select_from(
            stock.outerjoin(item, item.c.id == stock.c.inventory_item_id).outerjoin(
                material, material.c.id == stock.c.material_id
            )
        )
        .where(
            stock.c.merchant_id == merchant_id,
            stock.c.location_id == location_id,
            not_(func.coalesce(item.c.archived, material.c.archived)),
        )
    )
    return (await session.execute(statement)).all()


async def usage_by_stock(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    since: datetime,
    until: datetime,
) -> dict[uuid.UUID, Decimal]:
    """Actual usage of each stock at the location over [since, until), as the usage report
    defines it: opening + received + adjustedIn + transferredIn + produced -
    transferredOut - closing. Opening and closing are on hand at `since` and `until`
    (one index probe each, the ledger's after-quantities); the flows are the period's few
    movements that bring stock in or move it away (ix_stock_movement_flows), so the sales
    between them are never read, however many there are."""
    stock, ledger = t.stock, t.stock_movement
    opening = on_hand_before(merchant_id, stock.c.id, literal(since)).lateral("opening")
    closing = on_hand_before(merchant_id, stock.c.id, literal(until)).lateral("closing")
    flows = (
        select(ledger.c.stock_id, func.sum(ledger.c.delta_on_hand).label("flows"))
        .where(
            ledger.c.merchant_id == merchant_id,
            ledger.c.location_id == location_id,
            ledger.c.occurred_at >= since,
            ledger.c.occurred_at < until,
            # The partial index's predicate, then what of it is a flow.
            ledger.c.type.in_(sorted(m.value for m in FLOW_CANDIDATES)),
            or_(ledger.c.type != MovementType.ADJUSTMENT.value, ledger.c.delta_on_hand > 0),
        )
        .group_by(ledger.c.stock_id)
        .subquery("flows")
    )
    usage = (
        func.coalesce(opening.c.on_hand_after, 0)
        + func.coalesce(flows.c.flows, 0)
        - func.coalesce(closing.c.on_hand_after, 0)
    )
    statement = (
        select(stock.c.id, usage.label("usage"))
        .select_from(
            stock.outerjoin(opening, true())
            .outerjoin(closing, true())
            .outerjoin(flows, flows.c.stock_id == stock.c.id)
        )
        .where(stock.c.merchant_id == merchant_id, stock.c.location_id == location_id)
    )
    return {row.id: row.usage for row in await session.execute(statement)}


async def last_receipts(
    session: AsyncSession, merchant_id: uuid.UUID, location_id: uuid.UUID
) -> dict[uuid.UUID, LastReceipt]:
    """Per item, the last line received of it at the location (latest receipt, then the
    order's line order): its vendor, its unit and its cost per base unit."""
    po, line, vendor = t.purchase_order, t.purchase_order_line, t.vendor
    item_id = func.coalesce(line.c.inventory_item_id, line.c.material_id)
    statement = (
        select(
            item_id.label("item_id"),
            line.c.unit.label("line_unit"),
            line.c.unit_cost.label("line_unit_cost"),
            vendor,
        )
        .ext(distinct_on(item_id))
        .select_from(
            po.join(
                line, and_(line.c.purchase_order_id == po.c.id, line.c.merchant_id == merchant_id)
            ).join(vendor, vendor.c.id == po.c.vendor_id)
        )
        .where(
            po.c.merchant_id == merchant_id,
            po.c.location_id == location_id,
            po.c.status == PurchaseOrderStatus.RECEIVED,
            line.c.quantity_received > 0,
        )
        .order_by(item_id, po.c.received_at.desc(), po.c.id.desc(), line.c.position.desc())
    )
    return {
        row.item_id: LastReceipt(row, row.line_unit, row.line_unit_cost)
        for row in await session.execute(statement)
    }


__all__ = ["LastReceipt", "ReorderInput", "reorder_inputs"]
