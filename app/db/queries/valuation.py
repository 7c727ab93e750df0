"""Inventory valuation reads: every stock's on hand and its item's average unit cost, now
or as of a past moment, in one statement.

As of a moment both come from their histories with the same half-open reading: on hand
after the stock's last movement strictly before it (0 before the first), the average
after the item's last cost change strictly before it (none before the first). Each is
one probe of an index that carries the value (ix_stock_movement_stock,
ix_item_cost_change_item), whatever the length of the history. The on-hand probe is
Stock.onHandAt's own (app/db/queries/stock_history.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db import tables as t
from app.db.queries.purchase_orders import purchase_currency
from app.db.queries.stock_history import on_hand_before
from app.domain.costs import stock_value
from app.domain.enums import ItemType


@dataclass(frozen=True)
class ValuedStock:
    stock: Any  # the stock row
    item_type: ItemType
    name: str
    quantity: Decimal
    unit_cost: Decimal | None


def cost_before(merchant_id: uuid.UUID, item_id: ColumnElement[Any], at: Any) -> Select[Any]:
    """The lateral probe: the item's average unit cost after its last change strictly
    before `at`, latest time then id first (one backward probe of ix_item_cost_change_item)."""
    change = t.item_cost_change.c
    return (
        select(change.average_unit_cost)
        .where(change.merchant_id == merchant_id, change.item_id == item_id, change.changed_at < at)
        .order_by(change.changed_at.desc(), change.id.desc())
        .limit(1)
    )


async def valued_stocks(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None,
    at: datetime | None,
) -> list[ValuedStock]:
    """Every stock of the merchant (at the location when given) with a quantity other
    than 0, with its unit cost, ordered by item name then stock id. `at` None: now, read
    from the stock rows and the items' current averages."""
    stock, item, material = t.stock, t.inventory_item, t.material
    item_id = func.coalesce(stock.c.inventory_item_id, stock.c.material_id)
    name = func.coalesce(item.c.name, material.c.name).label("name")
    joined = stock.outerjoin(item, item.c.id == stock.c.inventory_item_id).outerjoin(
        material, material.c.id == stock.c.material_id
    )
    if at is None:
        quantity: ColumnElement[Any] = stock.c.on_hand
        unit_cost: ColumnElement[Any] = func.coalesce(
            item.c.average_unit_cost, material.c.average_unit_cost
        )
    else:
        on_hand = on_hand_before(merchant_id, stock.c.id, literal(at)).lateral("on_hand")
        cost = cost_before(merchant_id, item_id, at).lateral("cost")
        joined = joined.outerjoin(on_hand, true()).outerjoin(cost, true())
        quantity = func.coalesce(on_hand.c.on_hand_after, literal(Decimal(0)))
        unit_cost = cost.c.average_unit_cost
    statement = (
        select(
            stock,
            name.label("item_name"),
            quantity.label("valued_quantity"),
            unit_cost.label("valued_unit_cost"),
        )
        .select_from(joined)
        .where(stock.c.merchant_id == merchant_id)
        .order_by(name, stock.c.id)
    )
    if location_id is not None:
        statement = statement.where(stock.c.location_id == location_id)
    rows = await session.execute(statement)
    return [
        ValuedStock(
            row, ItemType(row.item_type), row.item_name, row.valued_quantity, row.valued_unit_cost
        )
        for row in rows
        if row.valued_quantity != 0
    ]


@dataclass(frozen=True)
class ValuationLine:
    stock: Any  # the stock row
    quantity: Decimal
    unit_cost: Decimal | None
    value: Decimal | None


@dataclass(frozen=True)
class Valuation:
    at: datetime
    currency: str | None
    total_value: Decimal
    lines: list[ValuationLine]


async def inventory_valuation(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None,
    at: datetime | None,
    now: datetime,
) -> Valuation:
    """What the stock is worth: each stock's quantity at `at` (now when None) x its item's
    average unit cost as of then, exactly; the total is the sum of the lines that have a
    cost (an item never received or made has none, and adds nothing)."""
    stocks = await valued_stocks(session, merchant_id, location_id=location_id, at=at)
    lines = [
        ValuationLine(s.stock, s.quantity, s.unit_cost, stock_value(s.quantity, s.unit_cost))
        for s in stocks
    ]
    total = sum((line.value for line in lines if line.value is not None), Decimal(0))
    return Valuation(
        at=now if at is None else at,
        currency=await purchase_currency(session, merchant_id),
        total_value=total,
        lines=lines,
    )
