"""Which sale lines deplete nothing (app/domain/unmapped_sales.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.domain.unmapped_sales import SoldItem, SoldModifier, UnmappedLine, unmapped_lines

ITEM, VARIANT, SYRUP, SHOT = (uuid.uuid4() for _ in range(4))


def _item(*, tracked: bool, has_recipe: bool, modifiers: tuple[SoldModifier, ...] = ()) -> SoldItem:
    return SoldItem(ITEM, VARIANT, Decimal(3), tracked, has_recipe, modifiers)


def test_an_untracked_product_without_a_recipe_depletes_nothing() -> None:
    assert unmapped_lines([_item(tracked=False, has_recipe=False)]) == [
        UnmappedLine(ITEM, VARIANT, None, Decimal(3))
    ]


def test_a_tracked_product_or_one_with_a_recipe_depletes_something() -> None:
    assert unmapped_lines([_item(tracked=True, has_recipe=False)]) == []
    assert unmapped_lines([_item(tracked=False, has_recipe=True)]) == []


def test_a_modifier_option_without_a_recipe_counts_item_times_modifier_quantity() -> None:
    modifiers = (
        SoldModifier(SYRUP, Decimal(2), has_recipe=False),
        SoldModifier(SHOT, Decimal(1), has_recipe=True),
    )

    found = unmapped_lines([_item(tracked=False, has_recipe=True, modifiers=modifiers)])

    assert found == [UnmappedLine(ITEM, VARIANT, SYRUP, Decimal(6))]
