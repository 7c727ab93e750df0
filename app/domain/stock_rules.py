"""Pure rules about stock quantities."""

from __future__ import annotations

from decimal import Decimal


def is_low(available: Decimal, threshold: Decimal | None) -> bool:
    """Low when a threshold is set and what can still be used is at or below it."""
    return threshold is not None and available <= threshold


def threshold_change_crosses(
    available: Decimal, before: Decimal | None, after: Decimal | None
) -> bool:
    """Whether changing the threshold from `before` to `after` makes the stock low, or no
    longer low, with its quantities unchanged (lowStock subscribers are told then)."""
    return is_low(available, before) != is_low(available, after)


def whole_units(available: Decimal, per_unit: Decimal) -> Decimal:
    """How many whole units a material allows; nothing below zero."""
    if available <= 0:
        return Decimal(0)
    return (available // per_unit).max(Decimal(0))


def went_negative(on_hand: Decimal, reserved: Decimal) -> bool:
    """The ledger's flag on a movement: it left the stock below zero, on hand or available.

    A paid sale is never refused for want of stock, so this is recorded, not enforced.
    """
    return on_hand < 0 or on_hand - reserved < 0
