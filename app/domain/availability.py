"""How many units of a product can be sold at a location now (what a POS greys out by)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from app.domain.stock_rules import whole_units

ZERO = Decimal(0)
ONE_UNIT = Decimal(1)


def available_to_sell(
    *,
    tracked: bool,
    stock_available: Decimal | None,
    recipe: Iterable[tuple[Decimal | None, Decimal]],
) -> Decimal | None:
    """The contract's rule for InventoryItem.availableToSell.

    `recipe` holds (material available at the location or None without a stock row,
    quantity per unit) per recipe line. A tracked item is limited by its own stock's
    available (no stock row: 0); an item with a recipe by the fewest whole units any
    material allows; both: the smaller; neither: None (not limited). Never below 0.
    """
    # The first of the smallest limits, as min() would pick (equal values may differ in
    # scale, and the answer's scale is what a client sees).
    limit: Decimal | None = max(stock_available or ZERO, ZERO) if tracked else None
    for available, per_unit in recipe:
        units = whole_units(available or ZERO, per_unit)
        if limit is None or units < limit:
            limit = units
    return limit


def sold_out(available_to_sell: Decimal | None) -> bool:
    """Limited, and not even one unit can be sold (null means not limited): what a POS
    greys out."""
    return available_to_sell is not None and available_to_sell < ONE_UNIT
