"""Recipe reads: the lines of product-variant and modifier-option recipes, by owner, each
line with its material's row."""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Uuid, any_, bindparam, literal_column, select

from app.db import tables as t
from app.db.driver import RowsStatement, Transactional
from app.db.queries._lookup import units_as_text, uuid_array
from app.domain.enums import RecipeOwner


@dataclass
class RecipeRead:
    owner_id: uuid.UUID
    updated_at: datetime
    yield_quantity: Decimal | None = None  # prep recipes only
    # Rows of (material_id, quantity, entered_quantity, entered_unit, ...): namedtuples,
    # their material's columns after those (`line_material`).
    lines: list[Any] = field(default_factory=list)


async def recipes_by_owner(
    unit: Transactional,
    merchant_id: uuid.UUID,
    owner_type: RecipeOwner,
    owner_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, RecipeRead]:
    """The recipes (with lines in position order) of these owners; owners without one absent."""
    wanted = list(dict.fromkeys(owner_ids))
    if not wanted:
        return {}
    parameters = {"merchant_id": merchant_id, "owner_type": owner_type, "owners": wanted}
    found: dict[uuid.UUID, RecipeRead] = {}
    for row in await _by_owner().fetch(unit, parameters):
        read = found.get(row.owner_id)
        if read is None:
            read = found[row.owner_id] = RecipeRead(
                row.owner_id, row.updated_at, row.yield_quantity
            )
        if row.material_id is not None:
            read.lines.append(row)
    return found


async def recipe_lines_by_owner(
    unit: Transactional,
    merchant_id: uuid.UUID,
    owner_type: RecipeOwner,
    owner_ids: Iterable[uuid.UUID],
    material_columns: frozenset[str],
) -> dict[uuid.UUID, list[Any]]:
    """The lines of these owners' recipes as `recipes_by_owner` reads them
    (RecipeRead.lines, same fields), owners without a line absent; of each line's
    material only `material_columns` read (and its name, which tells a material found
    from none), the others None, as are the recipe's own updated_at and yield_quantity.
    Decoding the columns a selection does not show was most of the read's CPU (a
    timestamp ~0.8 µs a line, hundreds of lines a page); such rows must not reach the
    material loader (line_material would give partial rows)."""
    wanted = list(dict.fromkeys(owner_ids))
    if not wanted:
        return {}
    parameters = {"merchant_id": merchant_id, "owner_type": owner_type, "owners": wanted}
    found: dict[uuid.UUID, list[Any]] = {}
    for row in await _by_owner(material_columns).fetch(unit, parameters):
        if row.material_id is not None:
            lines = found.get(row.owner_id)
            if lines is None:
                lines = found[row.owner_id] = []
            lines.append(row)
    return found


# A line's material as the material loader's rows are (app/db/queries/_lookup.
# plain_rows_by_id: every column, `units` as JSON text), so a recipe's read answers its
# lines' materials without a query of their own. Its id is the line's material_id and
# its merchant the read's: not read again for every line (asyncpg decodes a uuid in
# ~0.3 µs; a page's recipes have hundreds of lines).
_KNOWN = ("id", "merchant_id")
_MATERIAL_COLUMNS = tuple(c for c in t.material.c if c.name not in _KNOWN)
_MATERIAL_FIELDS = [*_KNOWN, *(c.name for c in _MATERIAL_COLUMNS)]
MaterialRow: Any = namedtuple("MaterialRow", _MATERIAL_FIELDS)  # type: ignore[misc]
_make_material: Callable[[Iterable[Any]], Any] = MaterialRow._make
_LINE_COLUMNS = (
    t.recipe.c.owner_id,
    t.recipe.c.updated_at,
    t.recipe.c.yield_quantity,
    t.recipe_line.c.material_id,
    t.recipe_line.c.quantity,
    t.recipe_line.c.entered_quantity,
    t.recipe_line.c.entered_unit,
)
_MATERIAL = slice(len(_LINE_COLUMNS), len(_LINE_COLUMNS) + len(_MATERIAL_COLUMNS))


def line_material(line: Any, merchant_id: uuid.UUID) -> Any:
    """The material row of a line of the merchant's `recipes_by_owner` (None if its
    material is not the merchant's, which the schema's references rule out)."""
    if line.material__name is None:  # never null but where the join found no material
        return None
    return _make_material((line.material_id, merchant_id, *line[_MATERIAL]))


def _null(name: str) -> Any:
    return literal_column("NULL").label(name)


@lru_cache(maxsize=32)
def _by_owner(material_columns: frozenset[str] | None = None) -> RowsStatement:
    """The lines with their material's columns: all of them (None), else those in
    `material_columns` and the name, the others and the recipe's own as NULL (the same
    row fields either way)."""
    recipe, line, material = t.recipe, t.recipe_line, t.material
    merchant_id = bindparam("merchant_id", type_=Uuid)
    line_columns: list[Any] = list(_LINE_COLUMNS)
    if material_columns is not None:
        line_columns[1:3] = [_null("updated_at"), _null("yield_quantity")]
    read = None if material_columns is None else material_columns | {"name"}
    selected = (
        units_as_text(c).label(f"material__{c.name}")
        if read is None or c.name in read
        else _null(f"material__{c.name}")
        for c in _MATERIAL_COLUMNS
    )
    statement = (
        select(*line_columns, *selected)
        .outerjoin(line, (line.c.recipe_id == recipe.c.id) & (line.c.merchant_id == merchant_id))
        .outerjoin(
            material,
            (material.c.id == line.c.material_id) & (material.c.merchant_id == merchant_id),
        )
        .where(
            recipe.c.merchant_id == merchant_id,
            recipe.c.owner_type == bindparam("owner_type", type_=recipe.c.owner_type.type),
            recipe.c.owner_id == any_(uuid_array("owners")),
        )
        .order_by(recipe.c.owner_id, line.c.position, line.c.id)
    )
    return RowsStatement(statement)
