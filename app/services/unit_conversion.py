"""Quantities entered in any unit, in the base unit every table keeps.

The rules are in app/domain/units.py; this module loads what they need (an item's
unit book), names the field a problem belongs to, and keeps what was entered beside
the converted quantity (`Entered`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import ItemType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.moves import StockKey
from app.domain.units import OwnUnit, UnitBook


@dataclass(frozen=True)
class Entered:
    """A quantity in the item's base unit, and what was typed when that was another unit."""

    base: Decimal
    quantity: Decimal | None = None  # None: entered in the base unit
    unit: str | None = None

    def as_columns(self, prefix: str = "entered_") -> dict[str, Any]:
        return {f"{prefix}quantity": self.quantity, f"{prefix}unit": self.unit}


def book_from_row(base: str, units: Any) -> UnitBook:
    """The unit book of a material or inventory item row (`unit`, `units` JSONB)."""
    return UnitBook(base, units_from_json(units))


def units_from_json(units: Any) -> list[OwnUnit]:
    if isinstance(units, str):
        # The column's JSON text: the GraphQL pages and loaders read `units` undecoded
        # (app/db/queries/_lookup.units_as_text), decoding it only when a unit is asked.
        units = json.loads(units)
    return [OwnUnit(u["name"], Decimal(u["quantity"]), u["unit"]) for u in units or ()]


def units_to_json(units: Iterable[OwnUnit]) -> list[dict[str, str]]:
    return [{"name": u.name, "quantity": str(u.quantity), "unit": u.unit} for u in units]


def convert(
    book: UnitBook,
    quantity: Decimal,
    unit: str | None,
    problems: ProblemCollector,
    unit_field: FieldPath,
    quantity_field: FieldPath | None = None,
) -> Entered | None:
    """`quantity` of `unit` (None: the base unit) as an `Entered`, or UNIT_MISMATCH on
    `unit_field` when the unit does not convert for the item (None returned).

    With `quantity_field`, a non-zero quantity that rounds to zero base units is
    INVALID there: a line or a receipt of nothing would be a mistake.
    """
    if book.is_base(unit):
        return Entered(quantity)
    assert unit is not None
    base = book.to_base(quantity, unit)
    if base is None:
        problems.add(
            UserErrorCode.UNIT_MISMATCH,
            f"{unit.strip()} does not convert to {book.base} for this item",
            unit_field,
        )
        return None
    if quantity_field is not None and quantity != 0 and base == 0:
        problems.add(
            UserErrorCode.INVALID,
            f"is less than the smallest quantity kept (0.000001 {book.base})",
            quantity_field,
        )
        return None
    return Entered(base, quantity, book.display_name(unit))


async def item_books(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_type: ItemType,
    item_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, UnitBook]:
    """The unit books of this merchant's inventory items or materials among `item_ids`."""
    wanted = set(item_ids)
    if not wanted:
        return {}
    table = t.inventory_item if item_type is ItemType.PRODUCT else t.material
    rows = await session.execute(
        select(table.c.id, table.c.unit, table.c.units).where(
            table.c.merchant_id == merchant_id, table.c.id.in_(wanted)
        )
    )
    return {row.id: book_from_row(row.unit, row.units) for row in rows}


async def item_book(
    session: AsyncSession, merchant_id: uuid.UUID, item_type: ItemType, item_id: uuid.UUID
) -> UnitBook | None:
    table = t.inventory_item if item_type is ItemType.PRODUCT else t.material
    row = (
        await session.execute(
            select(table.c.unit, table.c.units).where(
                table.c.merchant_id == merchant_id, table.c.id == item_id
            )
        )
    ).one_or_none()
    return None if row is None else book_from_row(row.unit, row.units)


async def material_book(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    material_id: uuid.UUID,
    problems: ProblemCollector,
    field: FieldPath,
) -> UnitBook | None:
    """The material's unit book; None and NOT_FOUND on `field` when it is not this
    merchant's; ARCHIVED on `field` (the book still returned) when it is archived."""
    material = t.material
    row = (
        await session.execute(
            select(material.c.unit, material.c.units, material.c.archived).where(
                material.c.merchant_id == merchant_id, material.c.id == material_id
            )
        )
    ).one_or_none()
    if row is None:
        problems.add(UserErrorCode.NOT_FOUND, "no such material", field)
        return None
    if row.archived:
        problems.add(UserErrorCode.ARCHIVED, "the material is archived", field)
    return book_from_row(row.unit, row.units)


@dataclass(frozen=True)
class Given:
    """A request's main quantity and the unit its quantities are in (None: base unit)."""

    quantity: Decimal
    unit: str | None


@dataclass(frozen=True)
class Converted:
    book: UnitBook
    entered: Entered

    @property
    def base(self) -> Decimal:
        return self.entered.base


async def in_base_unit(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    key: StockKey,
    given: Given,
    problems: ProblemCollector,
    unit_field: FieldPath = ("input", "unit"),
    book: UnitBook | None = None,
) -> Converted | None:
    """The stock's item's units and the main quantity in its base unit (None and
    UNIT_MISMATCH on `unit_field` when the unit does not convert for the item).
    `book`, when the caller has read it already, is the item's."""
    if book is None:
        book = await item_book(session, merchant_id, key.item_type, key.item_id)
    if book is None:
        return None
    entered = convert(book, given.quantity, given.unit, problems, unit_field)
    return None if entered is None else Converted(book, entered)


def converted(book: UnitBook, quantity: Decimal, unit: str | None) -> Decimal:
    base = book.to_base(quantity, unit)
    assert base is not None, "the unit was checked to convert"
    return base
