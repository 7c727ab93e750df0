"""Average unit costs and stock values.

An item's cost is one moving average per base unit for the merchant, blended against its
on hand at all its locations together, in the merchant's purchase currency (the currency
of its first purchase order: this service converts no money). The average keeps
`COST_PLACES` (12) places, rounded once per change, half to even; a value is quantity x
unit cost, exact (a NUMERIC product does not round).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.units import COST_PLACES as UNIT_COST_PLACES

COST_PLACES = Decimal(1).scaleb(-UNIT_COST_PLACES)


def moving_average(
    on_hand: Decimal, average: Decimal | None, quantity: Decimal, value: Decimal
) -> Decimal | None:
    """The unit cost after receiving `quantity` worth `value` (quantity * unit cost), 12 places.

    (on_hand * average + value) / (on_hand + quantity), where on_hand is the
    item's total over all locations before the receipt. When nothing was costed
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


def stock_value(quantity: Decimal, unit_cost: Decimal | None) -> Decimal | None:
    """What a quantity is worth at a unit cost, exactly; None when the item has no cost."""
    return None if unit_cost is None else quantity * unit_cost


def purchase_currency_problem(merchant_currency: str | None, currency: str) -> str | None:
    """Why a purchase order in `currency` is refused, or None: the merchant's purchase
    currency is its first order's, and every later order must be in it."""
    if merchant_currency is None or merchant_currency == currency:
        return None
    return (
        f"must be {merchant_currency}, the currency of this merchant's purchase orders"
        " (costs are kept in one currency and never converted)"
    )
