"""Query.unmappedSales: the sale lines that depleted nothing, per product variant and
modifier option, over a period (the index on (merchant, location, sold_at))."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t


@dataclass(frozen=True)
class UnmappedSale:
    product_variant_id: uuid.UUID
    modifier_option_id: uuid.UUID | None
    inventory_item_id: uuid.UUID | None
    quantity_sold: Decimal
    sales: int
    last_sold_at: datetime


async def unmapped_sales(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> list[UnmappedSale]:
    """Per product variant (and modifier option) sold in [start, end) at the location by
    the payments' occurredAt: units, sale orders, the last sale. Most sold first."""
    line, item = t.unmapped_sale_line, t.inventory_item
    # Summed per variant and option first, joined to the items after: the join then
    # probes once per group (tens) instead of once per line (tens of thousands a month).
    sold = (
        select(
            line.c.product_variant_id,
            line.c.modifier_option_id,
            func.sum(line.c.quantity).label("quantity"),
            func.count(line.c.sale_order_id.distinct()).label("sales"),
            func.max(line.c.sold_at).label("last_sold_at"),
        )
        .where(
            line.c.merchant_id == merchant_id,
            line.c.location_id == location_id,
            line.c.sold_at >= start,
            line.c.sold_at < end,
        )
        .group_by(line.c.product_variant_id, line.c.modifier_option_id)
        .subquery("sold")
    )
    rows = await session.execute(
        select(sold, item.c.id.label("item_id"))
        .select_from(
            sold.outerjoin(
                item,
                (item.c.merchant_id == merchant_id)
                & (item.c.product_variant_id == sold.c.product_variant_id),
            )
        )
        .order_by(sold.c.quantity.desc(), sold.c.product_variant_id, sold.c.modifier_option_id)
    )
    return [
        UnmappedSale(
            r.product_variant_id,
            r.modifier_option_id,
            r.item_id,
            r.quantity,
            r.sales,
            r.last_sold_at,
        )
        for r in rows
    ]
