"""The ledger over a period, per stock of a location: what the usage report is made of.

Reads only. Per stock, the flows of the period come in three parts that never share a
movement (app/domain/ledger_days.py says when each counts):
- the daily totals of the period's settled days that the settling job has summed
  (app/services/ledger_days.py);
- the on-time movements of the rest (the partial days at the edges, and settled days
  not summed yet, computed here and not kept), through the (merchant, location,
  occurred_at) index;
- the late sales of the whole period, by their payment's time, through their own small
  index: whenever they committed, they are never in a daily total.
Opening and closing are one index probe each per stock (see stock_history), and the
productions' prep recipes are scaled to what they made. The formulas are
app/domain/usage.py's.

Sales (and the kitchen cancellations that take part of them back) count by their
payment's occurredAt; returns count when restocked, as their restock is in closing then.
Productions' theoretical use is the prep recipe each was made by, kept with it at
production (production_recipe_line). The unit cost is the item's (product's or
material's) average unit cost as of `to`, from its cost history (the valuation's probe:
after its last change strictly before `to`, as closing is the stock after its last
movement before `to`); none before its first receipt or production.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.ledger_days import FLOWS
from app.db.queries.ledger_flows import counted_on_time, flow_sums, late_sale
from app.db.queries.stock_history import on_hand_before
from app.db.queries.valuation import cost_before
from app.domain.enums import ItemType
from app.domain.ledger_days import DaySplit, unsummed_ranges
from app.domain.usage import ZERO, PeriodMovements


@dataclass(frozen=True)
class UsageQuery:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    start: datetime
    end: datetime
    item_type: ItemType | None = None
    items: Sequence[tuple[ItemType, uuid.UUID]] | None = None


@dataclass(frozen=True)
class StockPeriod:
    stock_id: uuid.UUID
    movements: PeriodMovements
    unit_cost: Decimal | None


async def period_by_stock(
    session: AsyncSession, q: UsageQuery, split: DaySplit
) -> list[StockPeriod]:
    """Every stock of the location (of the filters) with a movement in the period or
    stock at its start or end, with its period movements and unit cost. The settled
    whole days of `split` already summed are read from their daily totals, the rest
    from the movements themselves."""
    stock = t.stock
    summed = await summed_days(session, q.merchant_id, q.location_id, split)
    sums = _flows(q, split, summed)
    opening = on_hand_before(q.merchant_id, stock.c.id, literal(q.start)).lateral("opening")
    closing = on_hand_before(q.merchant_id, stock.c.id, literal(q.end)).lateral("closing")
    item_id = func.coalesce(stock.c.inventory_item_id, stock.c.material_id)
    cost = cost_before(q.merchant_id, item_id, literal(q.end)).lateral("cost")
    statement = (
        select(
            stock.c.id,
            cost.c.average_unit_cost,
            func.coalesce(opening.c.on_hand_after, 0).label("opening"),
            func.coalesce(closing.c.on_hand_after, 0).label("closing"),
            *(sums.c[name] for name in FLOWS),
        )
        .select_from(
            stock.outerjoin(sums, sums.c.stock_id == stock.c.id)
            .outerjoin(cost, true())
            .outerjoin(opening, true())
            .outerjoin(closing, true())
        )
        .where(
            stock.c.merchant_id == q.merchant_id,
            stock.c.location_id == q.location_id,
            or_(
                sums.c.stock_id.is_not(None),
                func.coalesce(opening.c.on_hand_after, 0) != 0,
                func.coalesce(closing.c.on_hand_after, 0) != 0,
            ),
        )
    )
    if q.item_type is not None:
        statement = statement.where(stock.c.item_type == q.item_type)
    if q.items is not None:
        statement = statement.where(_of_items(q.items))
    rows = (await session.execute(statement)).all()
    productions = await _by_productions(session, q)
    return [_period(row, productions.get(row.id, ZERO)) for row in rows]


async def summed_days(
    session: AsyncSession, merchant_id: uuid.UUID, location_id: uuid.UUID, split: DaySplit
) -> set[date]:
    """The settled days of `split` whose totals are in ledger_day. A day summed after
    this read is read from its movements instead: the same flows, counted once."""
    if split.first is None or split.last is None:
        return set()
    summed = t.ledger_day_summed
    rows = await session.execute(
        select(summed.c.day).where(
            summed.c.merchant_id == merchant_id,
            summed.c.location_id == location_id,
            summed.c.day >= split.first,
            summed.c.day <= split.last,
        )
    )
    return set(rows.scalars())


def _flows(q: UsageQuery, split: DaySplit, summed: set[date]) -> Any:
    """Per stock, the flows of the period: the daily totals of its summed days, the
    on-time movements of the rest and the period's late sales, summed."""
    ledger, days = t.stock_movement, t.ledger_day
    where = (ledger.c.merchant_id == q.merchant_id, ledger.c.location_id == q.location_id)
    parts = [
        select(ledger.c.stock_id, *flow_sums())
        .where(*where, late_sale(), ledger.c.sold_at >= q.start, ledger.c.sold_at < q.end)
        .group_by(ledger.c.stock_id)
    ]
    if ranges := unsummed_ranges(split, summed):
        parts.append(
            select(ledger.c.stock_id, *flow_sums())
            .where(*where, counted_on_time(ranges))
            .group_by(ledger.c.stock_id)
        )
    if summed:
        parts.append(
            select(days.c.stock_id, *(func.sum(days.c[name]).label(name) for name in FLOWS))
            .where(
                days.c.merchant_id == q.merchant_id,
                days.c.location_id == q.location_id,
                days.c.day.in_(sorted(summed)),
            )
            .group_by(days.c.stock_id)
        )
    both = union_all(*parts).subquery("parts")
    return (
        select(both.c.stock_id, *(func.sum(both.c[name]).label(name) for name in FLOWS))
        .group_by(both.c.stock_id)
        .subquery("sums")
    )


def _of_items(items: Sequence[tuple[ItemType, uuid.UUID]]) -> Any:
    stock = t.stock
    products = [i for kind, i in items if kind is ItemType.PRODUCT]
    materials = [i for kind, i in items if kind is ItemType.MATERIAL]
    return or_(stock.c.inventory_item_id.in_(products), stock.c.material_id.in_(materials))


def _period(row: Any, by_productions: Decimal) -> StockPeriod:
    return StockPeriod(
        stock_id=row.id,
        movements=PeriodMovements(
            opening=row.opening,
            closing=row.closing,
            received=row.received or ZERO,
            transferred_in=row.transferred_in or ZERO,
            transferred_out=row.transferred_out or ZERO,
            produced=row.produced or ZERO,
            adjusted_in=row.adjusted_in or ZERO,
            returned=row.returned or ZERO,
            wasted=row.wasted or ZERO,
            sold=row.sold or ZERO,
            reserved_by_sales=row.reserved_by_sales or ZERO,
            released_by_cancellations=row.released or ZERO,
            by_productions=by_productions,
        ),
        unit_cost=row.average_unit_cost,
    )


async def _by_productions(session: AsyncSession, q: UsageQuery) -> dict[uuid.UUID, Decimal]:
    """Per ingredient stock: Σ the prep recipe each of the location's productions in the
    period was made by, scaled to what it made (kept at production: a recipe edited
    since changes no old report)."""
    production, line, stock = t.production, t.production_recipe_line, t.stock
    rows = await session.execute(
        select(stock.c.id, func.sum(line.c.quantity))
        .select_from(
            production.join(
                line,
                and_(
                    line.c.merchant_id == q.merchant_id,
                    line.c.production_id == production.c.id,
                ),
            ).join(
                stock,
                and_(
                    stock.c.merchant_id == q.merchant_id,
                    stock.c.location_id == q.location_id,
                    stock.c.material_id == line.c.material_id,
                ),
            )
        )
        .where(
            production.c.merchant_id == q.merchant_id,
            production.c.location_id == q.location_id,
            production.c.produced_at >= q.start,
            production.c.produced_at < q.end,
        )
        .group_by(stock.c.id)
    )
    return {row[0]: row[1] for row in rows}
