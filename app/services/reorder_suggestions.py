"""Reorder suggestions for a location, computed at read time: the inputs from
app/db/queries/reorder.py, the rules from app/domain/reorder.py."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries.reorder import ReorderInput, reorder_inputs
from app.domain.errors import DomainError, UserErrorCode
from app.domain.reorder import (
    ReorderMethod,
    StockPosition,
    average_daily_usage,
    days_of_cover,
    suggest,
)
from app.services.unit_conversion import book_from_row

# The longest lookback: a year of a location's movements is what one read may aggregate.
MAX_LOOKBACK_DAYS = 366
MAX_COVER_DAYS = 366


@dataclass(frozen=True)
class ReorderSuggestion:
    stock: Any  # the stock row
    vendor: Any  # the row of the vendor it was last received from, or None
    name: str
    available: Decimal
    incoming: Decimal
    par_level: Decimal | None
    reorder_point: Decimal | None
    average_daily_usage: Decimal
    days_of_cover: Decimal | None
    suggested_quantity: Decimal
    pack_unit: str | None
    suggested_packs: Decimal | None
    last_unit_cost: Decimal | None


def check_period(lookback_days: int, cover_days: int) -> None:
    """lookbackDays 1..366, coverDays 0..366 (INVALID naming the argument)."""
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise DomainError.one(
            UserErrorCode.INVALID, f"must be 1 to {MAX_LOOKBACK_DAYS}", ("lookbackDays",)
        )
    if not 0 <= cover_days <= MAX_COVER_DAYS:
        raise DomainError.one(
            UserErrorCode.INVALID, f"must be 0 to {MAX_COVER_DAYS}", ("coverDays",)
        )


async def reorder_suggestions(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    *,
    method: ReorderMethod,
    lookback_days: int,
    cover_days: int,
    vendor_id: uuid.UUID | None,
    now: datetime,
) -> list[ReorderSuggestion]:
    """The stocks the method says to order, above zero, ordered by the name of the vendor
    each was last received from (none last), then the item's name; with `vendor_id`,
    only those last received from that vendor. Usage is over [now - lookbackDays, now)."""
    check_period(lookback_days, cover_days)
    inputs = await reorder_inputs(
        session,
        merchant_id,
        location_id,
        usage_from=now - timedelta(days=lookback_days),
        usage_to=now,
    )
    found = []
    for given in inputs:
        receipt = given.last_receipt
        if vendor_id is not None and (receipt is None or receipt.vendor_id != vendor_id):
            continue
        suggestion = _suggestion(given, method, lookback_days, cover_days)
        if suggestion is not None:
            found.append(suggestion)
    found.sort(key=lambda s: (s.vendor is None, s.vendor and s.vendor.name, s.name, s.stock.id))
    return found


def _suggestion(
    given: ReorderInput, method: ReorderMethod, lookback_days: int, cover_days: int
) -> ReorderSuggestion | None:
    stock, receipt = given.stock, given.last_receipt
    position = StockPosition(
        available=stock.available,
        incoming=given.incoming,
        par_level=stock.par_level,
        reorder_point=stock.reorder_point,
        usage=given.usage,
    )
    pack_unit, pack_size = None, None
    if receipt is not None and receipt.unit is not None:
        book = book_from_row(given.base_unit, given.own_units)
        if not book.is_base(receipt.unit):
            pack_size = book.to_base(Decimal(1), receipt.unit)
            pack_unit = receipt.unit if pack_size is not None else None
    suggestion = suggest(
        method,
        position,
        lookback_days=lookback_days,
        cover_days=cover_days,
        pack_size=pack_size,
    )
    if suggestion is None:
        return None
    return ReorderSuggestion(
        stock=stock,
        vendor=None if receipt is None else receipt.vendor,
        name=given.name,
        available=stock.available,
        incoming=given.incoming,
        par_level=stock.par_level,
        reorder_point=stock.reorder_point,
        average_daily_usage=average_daily_usage(given.usage, lookback_days),
        days_of_cover=days_of_cover(stock.available, given.usage, lookback_days),
        suggested_quantity=suggestion.quantity,
        pack_unit=pack_unit,
        suggested_packs=suggestion.packs,
        last_unit_cost=None if receipt is None else receipt.unit_cost,
    )
