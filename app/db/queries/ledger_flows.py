"""A stock's flows over some movements, as SQL sums: what usage is made of. Shared by
the usage report's scans and the daily totals of settled days; and which movements
count in a span of time (app/domain/ledger_days.py: sales by their payment's time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, text

from app.db import tables as t
from app.db.models.stock import LATE_SALE_PREDICATE
from app.domain.enums import MovementType
from app.domain.ledger_days import written_within


def dated_at() -> Any:
    """When a movement counts: its sale's payment time, else when it was written."""
    ledger = t.stock_movement
    return func.coalesce(ledger.c.sold_at, ledger.c.occurred_at)


def late_sale() -> Any:
    """The partial index's own predicate, spelled the same so the planner uses it."""
    return text(f"({LATE_SALE_PREDICATE})")


def counted_on_time(spans: list[tuple[datetime, datetime]]) -> Any:
    """The on-time movements that count in any of `spans` ([a, b) each): found through
    the (merchant, location, occurred_at) index, as such a movement was written within
    LATE_AFTER of when it counts (`written_within`)."""
    ledger, at = t.stock_movement, dated_at()
    written = [written_within(a, b) for a, b in spans]
    return and_(
        or_(*(and_(ledger.c.occurred_at >= a, ledger.c.occurred_at <= b) for a, b in written)),
        text(f"NOT ({LATE_SALE_PREDICATE})"),
        or_(*(and_(at >= a, at < b) for a, b in spans)),
    )


def flow_sums() -> list[Any]:
    """Sum expressions over stock_movement, labelled as app.db.models.ledger_days.FLOWS."""
    ledger = t.stock_movement
    kind, on_hand, reserved = ledger.c.type, ledger.c.delta_on_hand, ledger.c.delta_reserved

    def total(column: Any, *where: Any) -> Any:
        return func.coalesce(func.sum(column).filter(*where), 0)

    return [
        total(on_hand, kind == MovementType.PURCHASE_RECEIPT).label("received"),
        total(on_hand, kind == MovementType.TRANSFER_IN).label("transferred_in"),
        total(-on_hand, kind == MovementType.TRANSFER_OUT).label("transferred_out"),
        total(on_hand, kind == MovementType.PRODUCTION_OUTPUT).label("produced"),
        total(on_hand, kind == MovementType.ADJUSTMENT, on_hand > 0).label("adjusted_in"),
        total(on_hand, kind == MovementType.RETURN).label("returned"),
        total(-on_hand, kind == MovementType.WASTE).label("wasted"),
        total(-on_hand, kind == MovementType.SALE).label("sold"),
        total(reserved, kind == MovementType.SALE_RESERVATION).label("reserved_by_sales"),
        total(-reserved, kind == MovementType.KITCHEN_RELEASE).label("released"),
    ]
