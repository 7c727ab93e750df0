"""A stock's flows over some movements, as SQL sums: what usage is made of. Shared by
the usage report's scan of a period's edges and the daily totals of settled days."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from app.db import tables as t
from app.domain.enums import MovementType


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
