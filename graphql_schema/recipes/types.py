"""Recipe lines of product variants, and the recipes of modifier options."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.db.queries.recipes import RecipeRead, recipe_lines_by_owner
from app.domain.enums import RecipeOwner
from graphql_schema.context import Info
from graphql_schema.ids import node_ids
from graphql_schema.list_plan.batch import batched
from graphql_schema.loaders import load_all
from graphql_schema.materials.types import TYPE_NAME as MATERIAL
from graphql_schema.materials.types import (
    Material,
    load_material,
    materials_of,
)
from graphql_schema.shown_columns import Below, columns_of, fields_below


async def _materials(lines: list[RecipeLine], info: Info) -> list[Material]:
    """RecipeLine.material of a column of lines (the list plan's batch, see batched): built
    from the rows their recipe's read brought (one object per material), the loader asked
    only for lines without one."""
    built: dict[uuid.UUID, Material] = {}
    unknown: list[uuid.UUID] = []
    for line in lines:
        pk = line.material_id
        if pk in built:
            continue
        read = line.recipe_row
        # line_material's test: never null but where the join found no material.
        if read is None or read.material__name is None:
            unknown.append(pk)
        else:
            built[pk] = material_of_line(read)
    if unknown:
        built.update(zip(unknown, await materials_of(info, unknown), strict=True))
    return [built[line.material_id] for line in lines]


def material_of_line(line: Any) -> Material:
    """material_from_row(line_material(line, ...)) of a recipe read's line, without making
    the material's row first (~0.7 µs a line, on a page's hundreds)."""
    global_, bare = node_ids(MATERIAL, line.material_id)
    return Material(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=line.material_id,
        name=line.material__name,
        sku=line.material__sku,
        unit=line.material__unit,
        archived=line.material__archived,
        average_unit_cost=line.material__average_unit_cost,
        created_at=line.material__created_at,
        updated_at=line.material__updated_at,
        own_units=line.material__units,
    )


async def _entered_units(lines: list[RecipeLine], info: Info) -> list[str]:
    """RecipeLine.enteredUnit of a column of lines (the list plan's batch)."""
    materials = await _materials(lines, info)
    return [
        line.given_unit if line.given_unit is not None else material.unit
        for line, material in zip(lines, materials, strict=True)
    ]


@strawberry.type
class RecipeLine:
    material_id: strawberry.Private[uuid.UUID]
    quantity: Decimal = strawberry.field(
        description="Of the material's unit, per one unit of the product."
    )
    entered_quantity: Decimal
    # None: entered in the material's base unit, shown as that unit.
    given_unit: strawberry.Private[str | None] = None
    # The recipe read's row of the line, its material's columns with it (recipe_lines).
    recipe_row: strawberry.Private[Any] = None

    @batched(_materials)
    async def material(self, info: Info) -> Material:
        material = await load_material(info, self.material_id)
        assert material is not None, "a recipe line's material belongs to its merchant"
        return material

    @batched(_entered_units)
    async def entered_unit(self, info: Info) -> str:
        if self.given_unit is not None:
            return self.given_unit
        material = await load_material(info, self.material_id)
        assert material is not None, "a recipe line's material belongs to its merchant"
        return material.unit


@strawberry.type(description="Materials one unit of a modifier option adds to a sale.")
class ModifierRecipe:
    modifier_option_id: strawberry.ID
    lines: list[RecipeLine]
    updated_at: datetime


# RecipeLine's fields, and the material columns each shows besides the material's own
# fields (enteredUnit falls back on the material's unit).
_LINE_FIELDS: dict[str, frozenset[str]] = {
    "__typename": frozenset(),
    "quantity": frozenset(),
    "enteredQuantity": frozenset(),
    "enteredUnit": frozenset({"unit"}),
    "material": frozenset(),
}


def shown_material_columns(below: Below) -> frozenset[str] | None:
    """The material columns that a selection of recipe lines (`below`: its fields, each
    with the fields under it) shows; None (all) when it holds a field not mapped."""
    if any(name not in _LINE_FIELDS for name in below):
        return None
    columns = columns_of("material", below.get("material", frozenset()))
    if columns is None:
        return None
    for name in below:
        columns |= _LINE_FIELDS[name]
    return columns


async def variant_recipes(info: Info, variants: list[uuid.UUID]) -> list[list[RecipeLine]]:
    """The recipe lines of these product variants, for a column of `recipe` fields
    (`info`'s): a read of the material columns its selection shows, not the loader's
    (whose rows, all columns, another selection may be answered from), when it shows
    only mapped fields."""
    context = info.context
    columns = shown_material_columns(fields_below(info))
    if columns is None:
        reads = await load_all(context.loaders.variant_recipe, variants)
        return [recipe_lines(read) for read in reads]
    merchant_id = context.merchant_id
    found = await context.read_driver(
        lambda unit: recipe_lines_by_owner(
            unit, merchant_id, RecipeOwner.PRODUCT_VARIANT, variants, columns
        )
    )
    none: list[Any] = []
    return [[recipe_line_of(row, row) for row in found.get(v, none)] for v in variants]


def recipe_lines(read: RecipeRead | None) -> list[RecipeLine]:
    if read is None:
        return []
    return [recipe_line_of(row, row) for row in read.lines]


def recipe_line_of(row: Any, recipe_row: Any = None) -> RecipeLine:
    """A line from a row with material_id, quantity, entered_quantity and entered_unit
    (and its material's columns, when it is a recipe read's: `recipe_row`)."""
    entered = row.entered_quantity
    return RecipeLine(
        material_id=row.material_id,
        quantity=row.quantity,
        entered_quantity=row.quantity if entered is None else entered,
        given_unit=row.entered_unit,
        recipe_row=recipe_row,
    )


def modifier_recipe_of(read: RecipeRead) -> ModifierRecipe:
    return ModifierRecipe(
        modifier_option_id=strawberry.ID(str(read.owner_id)),
        lines=recipe_lines(read),
        updated_at=read.updated_at,
    )
