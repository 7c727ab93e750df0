"""Prep items: materials the kitchen makes from other materials by a prep recipe.

A prep recipe says what one batch uses and how much it yields (in the prep item's
base unit). A production of any quantity scales the recipe by quantity / yield,
rounding each ingredient's quantity once (half to even, the stored 6 places).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Set
from decimal import Decimal
from fractions import Fraction

from app.domain.units import round_stored

ZERO = Decimal(0)


def makes_a_cycle(
    uses: Mapping[uuid.UUID, Set[uuid.UUID]], item: uuid.UUID, ingredients: Iterable[uuid.UUID]
) -> bool:
    """Whether giving `item` a prep recipe of `ingredients` makes it use itself.

    `uses` maps each other prep item to the materials its prep recipe uses; `item`'s
    own current recipe is ignored (it is being replaced). A cycle exists when `item`
    is one of the ingredients or can be reached from one through other prep recipes.
    """
    seen: set[uuid.UUID] = set()
    pending = list(ingredients)
    while pending:
        material = pending.pop()
        if material == item:
            return True
        if material in seen:
            continue
        seen.add(material)
        pending.extend(uses.get(material, ()))
    return False


def batches(quantity_produced: Decimal, yield_quantity: Decimal) -> Decimal:
    """How many batches a production is (quantity / yield), rounded once to 6 places."""
    return round_stored(Fraction(quantity_produced) / Fraction(yield_quantity))


def scaled_quantity(
    per_batch: Decimal, quantity_produced: Decimal, yield_quantity: Decimal
) -> Decimal:
    """An ingredient's quantity for a production: per batch x produced / yield, rounded once."""
    return round_stored(
        Fraction(per_batch) * Fraction(quantity_produced) / Fraction(yield_quantity)
    )


def producible(
    yield_quantity: Decimal, ingredients: Iterable[tuple[Decimal | None, Decimal]]
) -> Decimal:
    """How much (base unit) the available ingredients could make now, by the prep recipe
    scaled to any fraction of a batch: the smallest available / per batch x yield over
    the ingredients, rounded once (half to even, 6 places); never below zero.

    `ingredients` holds (available at the location, None without a stock row; quantity
    per batch) per recipe line. A recipe without lines makes nothing from stock: 0.
    """
    smallest: Fraction | None = None
    for available, per_batch in ingredients:
        can = Fraction(max(available or ZERO, ZERO)) / Fraction(per_batch)
        if smallest is None or can < smallest:
            smallest = can
    if smallest is None:
        return ZERO
    return round_stored(smallest * Fraction(yield_quantity))


def production_value(
    consumed: Iterable[tuple[Decimal, Decimal | None]],
) -> Decimal | None:
    """What a production's ingredients cost: the sum of quantity x average unit cost.

    An ingredient never costed (None) counts as free; when none of them has a cost
    the production has no cost to blend in (None), so the prep item's average is
    left as it was rather than dragged to zero.
    """
    total = ZERO
    costed = False
    for quantity, unit_cost in consumed:
        if unit_cost is not None:
            total += quantity * unit_cost
            costed = True
    return total if costed else None
