"""The ledger invariant: every stock's quantities equal the sums of its movements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow


@dataclass(frozen=True)
class LedgerDiscrepancy:
    stock_id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    ledger_on_hand: Decimal
    ledger_reserved: Decimal


@dataclass(frozen=True)
class LedgerCheckResult:
    stocks_checked: int
    discrepancies: list[LedgerDiscrepancy]
    checked_at: datetime


async def check_ledger(
    session: AsyncSession,
    *,
    merchant_id: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
) -> LedgerCheckResult:
    """Recompute every stock from its ledger and list the stocks that differ.

    One aggregate statement answers one row: how many stocks were checked, and the
    differing ones as parallel arrays, so only discrepancies cross the wire.
    """
    stock, ledger = t.stock, t.stock_movement
    sums = select(
        ledger.c.stock_id,
        func.sum(ledger.c.delta_on_hand).label("on_hand"),
        func.sum(ledger.c.delta_reserved).label("reserved"),
    ).group_by(ledger.c.stock_id)
    if merchant_id is not None:
        sums = sums.where(ledger.c.merchant_id == merchant_id)
    if location_id is not None:
        sums = sums.where(ledger.c.location_id == location_id)
    totals = sums.subquery()
    ledger_on_hand = func.coalesce(totals.c.on_hand, 0)
    ledger_reserved = func.coalesce(totals.c.reserved, 0)
    differs = (stock.c.on_hand != ledger_on_hand) | (stock.c.reserved != ledger_reserved)

    def differing(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return aggregate_order_by(column, stock.c.id)

    statement = select(
        func.count().label("checked"),
        *(
            func.array_agg(differing(column)).filter(differs).label(name)
            for name, column in (
                ("stock_id", stock.c.id),
                ("merchant_id", stock.c.merchant_id),
                ("location_id", stock.c.location_id),
                ("on_hand", stock.c.on_hand),
                ("reserved", stock.c.reserved),
                ("ledger_on_hand", ledger_on_hand),
                ("ledger_reserved", ledger_reserved),
            )
        ),
    ).select_from(stock.outerjoin(totals, totals.c.stock_id == stock.c.id))
    if merchant_id is not None:
        statement = statement.where(stock.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(stock.c.location_id == location_id)
    row = (await session.execute(statement)).one()
    columns = (
        row.stock_id,
        row.merchant_id,
        row.location_id,
        row.on_hand,
        row.reserved,
        row.ledger_on_hand,
        row.ledger_reserved,
    )
    return LedgerCheckResult(
        stocks_checked=row.checked,
        discrepancies=[
            LedgerDiscrepancy(*values) for values in zip(*(c or [] for c in columns), strict=True)
        ],
        checked_at=utcnow(),
    )
