"""The ledger invariant: every stock's quantities equal the sums of its movements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
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
    """Recompute every stock from its ledger in one aggregate query and list the differences."""
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
    statement = (
        select(
            stock.c.id,
            stock.c.merchant_id,
            stock.c.location_id,
            stock.c.on_hand,
            stock.c.reserved,
            ledger_on_hand.label("ledger_on_hand"),
            ledger_reserved.label("ledger_reserved"),
            func.count().over().label("checked"),
            differs.label("differs"),
        )
        .select_from(stock.outerjoin(totals, totals.c.stock_id == stock.c.id))
        .order_by(stock.c.id)
    )
    if merchant_id is not None:
        statement = statement.where(stock.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(stock.c.location_id == location_id)
    rows = (await session.execute(statement)).all()
    return LedgerCheckResult(
        stocks_checked=rows[0].checked if rows else 0,
        discrepancies=[
            LedgerDiscrepancy(
                stock_id=r.id,
                merchant_id=r.merchant_id,
                location_id=r.location_id,
                on_hand=r.on_hand,
                reserved=r.reserved,
                ledger_on_hand=r.ledger_on_hand,
                ledger_reserved=r.ledger_reserved,
            )
            for r in rows
            if r.differs
        ],
        checked_at=utcnow(),
    )
