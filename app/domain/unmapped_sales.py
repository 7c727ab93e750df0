"""Sale lines that deplete nothing: what a merchant's recipes and tracking miss.

An item depletes nothing when its product is not tracked and has no recipe; a modifier
option when it has no modifier recipe (whatever its item does). Each such line is
recorded with the quantity sold: the item's quantity, or for a modifier option item
quantity x modifier quantity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SoldModifier:
    modifier_option_id: uuid.UUID
    quantity: Decimal
    has_recipe: bool


@dataclass(frozen=True)
class SoldItem:
    sale_order_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    quantity: Decimal
    tracked: bool
    has_recipe: bool
    modifiers: Sequence[SoldModifier] = ()


@dataclass(frozen=True)
class UnmappedLine:
    sale_order_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    modifier_option_id: uuid.UUID | None
    quantity: Decimal


def unmapped_lines(items: Iterable[SoldItem]) -> list[UnmappedLine]:
    found: list[UnmappedLine] = []
    for item in items:
        if not item.tracked and not item.has_recipe:
            found.append(
                UnmappedLine(item.sale_order_item_id, item.product_variant_id, None, item.quantity)
            )
        for modifier in item.modifiers:
            if not modifier.has_recipe:
                found.append(
                    UnmappedLine(
                        item.sale_order_item_id,
                        item.product_variant_id,
                        modifier.modifier_option_id,
                        item.quantity * modifier.quantity,
                    )
                )
    return found
