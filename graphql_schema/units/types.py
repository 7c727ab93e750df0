"""ItemUnit and StandardUnit, as the contract shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry

from app.domain.units import STANDARD_UNITS, factor_decimal
from app.services.unit_conversion import book_from_row


@strawberry.type
class ItemUnit:
    name: str
    quantity: Decimal
    unit: str
    factor: Decimal  # 1 name = factor x the item's base unit


@strawberry.type
class StandardUnit:
    name: str
    dimension: str
    factor: Decimal
    reference_unit: str


def item_units(base: str, units: Any) -> list[ItemUnit]:
    """An item's own units as defined, each with its factor to the base unit now."""
    return [
        ItemUnit(name=u.name, quantity=u.quantity, unit=u.unit, factor=factor_decimal(factor))
        for u, factor in book_from_row(base, units).own_factors()
    ]


def standard_units() -> list[StandardUnit]:
    return [
        StandardUnit(
            name=u.name, dimension=u.dimension, factor=u.factor, reference_unit=u.reference_unit
        )
        for u in STANDARD_UNITS
    ]
