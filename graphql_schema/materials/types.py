"""Material: an ingredient or supply, counted in its unit."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from app.domain.enums import ItemType
from graphql_schema.context import Info
from graphql_schema.ids import node_ids, parse_id
from graphql_schema.list_plan.batch import batched
from graphql_schema.loaders import load_all
from graphql_schema.relay import Node
from graphql_schema.units.types import ItemUnit, item_units

if TYPE_CHECKING:
    from graphql_schema.productions.types import PrepRecipe
    from graphql_schema.stocks.types import Stock

TYPE_NAME = "Material"


async def _stocks(
    materials: list[Material], info: Info, location_id: strawberry.ID | None = None
) -> list[list[Stock]]:
    """Material.stocks of a column of materials (the list plan's batch, see batched)."""
    from graphql_schema.item_stocks import known_stocks, shown_stocks_of_items

    known = known_stocks(materials, location_id)
    if known is not None:
        return known

    return await shown_stocks_of_items(
        info, ItemType.MATERIAL, [m.pk for m in materials], location_id
    )


@strawberry.type
class Material(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    sku: str | None
    unit: str
    archived: bool
    average_unit_cost: Decimal | None
    created_at: datetime
    updated_at: datetime
    own_units: strawberry.Private[Any] = None
    # Its stocks at every location, when its page read them with it (materials/queries.py):
    # the columns that page's stocks selection shows.
    known_stock_rows: strawberry.Private[list[Any] | None] = None

    @strawberry.field
    def units(self) -> list[ItemUnit]:
        return item_units(self.unit, self.own_units)

    @strawberry.field
    async def prep_recipe(
        self, info: Info
    ) -> Annotated[PrepRecipe, strawberry.lazy("graphql_schema.productions.types")] | None:
        from graphql_schema.productions.types import prep_recipe_of

        return prep_recipe_of(await info.context.loaders.prep_recipe.load(self.pk))

    # How much (base unit) the location's available ingredients could make now; null
    # without a prep recipe.
    @strawberry.field
    async def producible(self, info: Info, location_id: strawberry.ID) -> Decimal | None:
        location_pk = parse_id(location_id, "Location")
        if location_pk is None:
            return None
        return await info.context.loaders.producible.load((self.pk, location_pk))

    @batched(_stocks)
    async def stocks(
        self, info: Info, location_id: strawberry.ID | None = None
    ) -> list[Annotated[Stock, strawberry.lazy("graphql_schema.stocks.types")]]:
        from graphql_schema.stocks.types import stock_from_row, stocks_of_item

        if location_id is None and self.known_stock_rows is not None:
            return [stock_from_row(row) for row in self.known_stock_rows]
        return await stocks_of_item(info, ItemType.MATERIAL, self.pk, location_id)


async def materials_of(info: Info, pks: list[uuid.UUID]) -> list[Material]:
    """The materials of these ids (each its merchant's), one loader batch, one object per
    material."""
    rows = await load_all(info.context.loaders.material, pks)
    built: dict[uuid.UUID, Material] = {}
    for row in rows:
        assert row is not None, "a reference to a material stays within its merchant"
        if row.id not in built:
            built[row.id] = material_from_row(row)
    return [built[pk] for pk in pks]


def material_from_row(row: Row[Any]) -> Material:
    global_, bare = node_ids(TYPE_NAME, row.id)
    return Material(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=row.id,
        name=row.name,
        sku=row.sku,
        unit=row.unit,
        archived=row.archived,
        average_unit_cost=row.average_unit_cost,
        created_at=row.created_at,
        updated_at=row.updated_at,
        own_units=row.units,
    )


async def load_material(info: Info, pk: uuid.UUID) -> Material | None:
    row = await info.context.loaders.material.load(pk)
    return None if row is None else material_from_row(row)
