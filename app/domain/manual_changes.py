"""What a manual stock write changes: adjustments, physical counts, waste.

Each decides its delta to on hand from the quantities of the locked stock, so the
compare-and-set and the below-zero refusal hold under concurrency.
"""

from __future__ import annotations

from decimal import Decimal

from app.domain.errors import DomainError, FieldPath, UserErrorCode
from app.domain.quantities import decimal_str

DELTA_FIELD: FieldPath = ("input", "delta")
CHANGE_FROM_FIELD: FieldPath = ("input", "changeFromQuantity")
WASTE_FIELD: FieldPath = ("input", "quantity")


def adjustment_delta(
    on_hand: Decimal,
    delta: Decimal,
    *,
    change_from_quantity: Decimal | None,
    allow_negative: bool,
) -> Decimal:
    """`delta` itself, when on hand is still `change_from_quantity` (if given; else
    CHANGE_FROM_QUANTITY_STALE) and, unless `allow_negative`, a decrease leaves on hand
    at or above zero (else INSUFFICIENT_STOCK)."""
    if change_from_quantity is not None and on_hand != change_from_quantity:
        raise DomainError.one(
            UserErrorCode.CHANGE_FROM_QUANTITY_STALE,
            f"on hand is {decimal_str(on_hand)}, not {decimal_str(change_from_quantity)}",
            CHANGE_FROM_FIELD,
        )
    if not allow_negative:
        refuse_below_zero(on_hand, delta, DELTA_FIELD)
    return delta


def count_delta(on_hand: Decimal, counted: Decimal) -> Decimal:
    """A count sets on hand to what was counted; a match is still a (zero) movement."""
    return counted - on_hand


def waste_delta(on_hand: Decimal, quantity: Decimal) -> Decimal:
    """Waste takes `quantity` off on hand, never below zero (INSUFFICIENT_STOCK)."""
    refuse_below_zero(on_hand, -quantity, WASTE_FIELD)
    return -quantity


def refuse_below_zero(on_hand: Decimal, delta: Decimal, field: FieldPath) -> None:
    # Only a decrease is refused: raising a stock that is already negative is fine.
    if delta < 0 and on_hand + delta < 0:
        raise DomainError.one(
            UserErrorCode.INSUFFICIENT_STOCK,
            f"only {decimal_str(on_hand)} on hand",
            field,
        )
