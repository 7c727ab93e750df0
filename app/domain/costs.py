"""The moving-average unit cost of a material: one rounding point, 12 places, half even
(a cost per base unit keeps at least 10 places, units-and-prep.graphql)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.units import COST_PLACES as UNIT_COST_PLACES

COST_PLACES = Decimal(1).scaleb(-UNIT_COST_PLACES)


def moving_average(
    on_hand: Decimal, average: Decimal | None, quantity: Decimal, value: Decimal
) -> Decimal | None:
    """The unit cost after receiving `quantity` worth `value` (quantity * unit cost), 12 places.

    (on_hand * average + value) / (on_hand + quantity), where on_hand is the
    material's total over all locations before the receipt. When nothing was costed
    before, or on hand is zero or negative, the old stock carries no value worth
    averaging with (a negative quantity would drag the average the wrong way, or
    divide by zero), so the average restarts at this receipt's unit cost. Receiving
    nothing leaves it unchanged.
    """
    if quantity <= 0:
        return average
    if average is None or on_hand <= 0:
        new = value / quantity
    else:
        new = (on_hand * average + value) / (on_hand + quantity)
    return new.quantize(COST_PLACES, rounding=ROUND_HALF_EVEN)
