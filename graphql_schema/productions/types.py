"""PrepRecipe and Production, as the contract shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Row

from app.db.queries.recipes import RecipeRead
from graphql_schema.context import Info
from graphql_schema.ids import global_id
from graphql_schema.locations.types import Location, load_location
from graphql_schema.materials.types import Material, load_material
from graphql_schema.recipes.types import RecipeLine, recipe_line_of, recipe_lines
from graphql_schema.relay import Node

TYPE_NAME = "Production"


@strawberry.type
class PrepRecipe:
    yield_quantity: Decimal  # of the prep item's base unit, that one batch makes
    lines: list[RecipeLine]  # what one batch uses
    updated_at: datetime


def prep_recipe_of(read: RecipeRead | None) -> PrepRecipe | None:
    if read is None or read.yield_quantity is None:
        return None
    return PrepRecipe(
        yield_quantity=read.yield_quantity, lines=recipe_lines(read), updated_at=read.updated_at
    )


@strawberry.type
class Production(Node):
    pk: strawberry.Private[uuid.UUID]
    location_id: strawberry.Private[uuid.UUID]
    material_id: strawberry.Private[uuid.UUID]
    uuid: strawberry.ID
    quantity_produced: Decimal
    batches: Decimal
    consumed: list[RecipeLine]
    reason: str | None
    actor: str | None
    produced_at: datetime

    @strawberry.field
    async def location(self, info: Info) -> Location:
        location = await load_location(info, self.location_id)
        assert location is not None, "a production's location belongs to its merchant"
        return location

    @strawberry.field
    async def material(self, info: Info) -> Material:
        material = await load_material(info, self.material_id)
        assert material is not None, "a production's prep item belongs to its merchant"
        return material


def _consumed_line(line: dict[str, Any]) -> RecipeLine:
    entered = line.get("enteredQuantity")
    return recipe_line_of(
        _ConsumedRow(
            material_id=uuid.UUID(line["materialId"]),
            quantity=Decimal(line["quantity"]),
            entered_quantity=None if entered is None else Decimal(entered),
            entered_unit=line.get("enteredUnit"),
        )
    )


class _ConsumedRow:
    """A stored consumed line in the shape recipe_line_of reads."""

    def __init__(
        self,
        *,
        material_id: uuid.UUID,
        quantity: Decimal,
        entered_quantity: Decimal | None,
        entered_unit: str | None,
    ) -> None:
        self.material_id = material_id
        self.quantity = quantity
        self.entered_quantity = entered_quantity
        self.entered_unit = entered_unit


def production_from_row(row: Row[Any]) -> Production:
    return Production(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        pk=row.id,
        uuid=strawberry.ID(str(row.id)),
        location_id=row.location_id,
        material_id=row.material_id,
        quantity_produced=row.quantity_produced,
        batches=row.batches,
        consumed=[_consumed_line(line) for line in row.consumed],
        reason=row.reason,
        actor=row.actor,
        produced_at=row.produced_at,
    )


async def load_production(info: Info, pk: uuid.UUID) -> Production | None:
    row = await info.context.loaders.production.load(pk)
    return None if row is None else production_from_row(row)
