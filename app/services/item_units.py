"""An item's own units: defining, redefining and removing them (the rules are in
app/domain/units.py; converting quantities is unit_conversion.py's)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, select, update

from app.db import tables as t
from app.db.models.base import utcnow
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import check_decimal
from app.domain.units import (
    OwnUnit,
    UnitBook,
    UnitDefinitionError,
    define_unit,
    remove_unit,
)
from app.services.context import Actor
from app.services.text_input import collect, required_text
from app.services.unit_conversion import book_from_row, units_to_json

UNIT_MAX_LENGTH = 16


@dataclass(frozen=True)
class ItemUnitInput:
    name: str
    quantity: Decimal
    unit: str


def clean_unit_input(
    unit: ItemUnitInput, field: FieldPath, problems: ProblemCollector
) -> OwnUnit | None:
    """The unit's texts trimmed and its quantity checked (> 0, at most 6 places)."""
    before = len(problems.problems)
    name = required_text(unit.name, (*field, "name"), problems, max_length=UNIT_MAX_LENGTH)
    of = required_text(unit.unit, (*field, "unit"), problems, max_length=UNIT_MAX_LENGTH)
    collect(problems, check_decimal, unit.quantity, (*field, "quantity"))
    if len(problems.problems) > before or name is None or of is None:
        return None
    return OwnUnit(name, unit.quantity, of)


def define_units(
    book: UnitBook, units: Sequence[ItemUnitInput], field: FieldPath, problems: ProblemCollector
) -> UnitBook:
    """`book` with each of `units` defined in order (each may use those before it)."""
    for i, given in enumerate(units):
        book = define_one(book, given, (*field, i), problems)
    return book


def define_one(
    book: UnitBook, given: ItemUnitInput, field: FieldPath, problems: ProblemCollector
) -> UnitBook:
    unit = clean_unit_input(given, field, problems)
    if unit is None:
        return book
    try:
        return define_unit(book, unit)
    except UnitDefinitionError as error:
        _add_definition_problem(problems, error, field)
        return book


def _add_definition_problem(
    problems: ProblemCollector, error: UnitDefinitionError, field: FieldPath
) -> None:
    code = UserErrorCode.UNIT_MISMATCH if error.mismatch else UserErrorCode.INVALID
    problems.add(code, str(error), (*field, error.field))


@dataclass(frozen=True)
class UnitsTarget:
    """The table whose rows own units, and how its id argument is named."""

    table: Table
    id_field: str
    not_found: str


MATERIAL_UNITS = UnitsTarget(t.material, "materialId", "no such material")
ITEM_UNITS = UnitsTarget(t.inventory_item, "inventoryItemId", "no such inventory item")


async def set_item_unit(
    uow: UnitOfWork,
    actor: Actor,
    target: UnitsTarget,
    item_id: uuid.UUID,
    unit: ItemUnitInput,
) -> uuid.UUID:
    """Define or redefine an own unit of a material or inventory item.

    Its `unit` must convert for the item without it (UNIT_MISMATCH on input.unit), its
    name must not be the base unit or a standard unit that converts already (INVALID
    on input.name). Stored quantities and recipes keep what they were converted to.
    """
    problems = ProblemCollector()
    own = clean_unit_input(unit, ("input",), problems)
    problems.raise_if_any()
    assert own is not None

    def change(book: UnitBook) -> UnitBook:
        return define_unit(book, own)

    return await _change_units(uow, actor, target, item_id, change, "input")


async def remove_item_unit(
    uow: UnitOfWork,
    actor: Actor,
    target: UnitsTarget,
    item_id: uuid.UUID,
    name: str,
) -> uuid.UUID:
    """Remove an own unit; refused (INVALID on name) when another is defined by it."""
    return await _change_units(
        uow, actor, target, item_id, lambda book: remove_unit(book, name), None
    )


async def _change_units(
    uow: UnitOfWork,
    actor: Actor,
    target: UnitsTarget,
    item_id: uuid.UUID,
    change: Callable[[UnitBook], UnitBook],
    field_root: str | None,
) -> uuid.UUID:
    table = target.table
    async with uow.transaction() as session:
        row = (
            await session.execute(
                select(table.c.unit, table.c.units, table.c.archived)
                .where(table.c.merchant_id == actor.merchant_id, table.c.id == item_id)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise DomainError.one(UserErrorCode.NOT_FOUND, target.not_found, (target.id_field,))
        if row.archived:
            raise DomainError.one(UserErrorCode.ARCHIVED, "it is archived", (target.id_field,))
        try:
            book = change(book_from_row(row.unit, row.units))
        except UnitDefinitionError as error:
            problems = ProblemCollector()
            root: FieldPath = (field_root,) if field_root else ()
            _add_definition_problem(problems, error, root)
            raise DomainError(problems.problems) from None
        await session.execute(
            update(table)
            .where(table.c.id == item_id)
            .values(units=units_to_json(book.own), updated_at=utcnow())
        )
    return item_id
