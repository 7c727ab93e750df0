"""InventoryItem: one per sellable product variant; its recipe, stocks and availability."""

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
    from graphql_schema.recipes.types import RecipeLine
    from graphql_schema.stocks.types import Stock

TYPE_NAME = "InventoryItem"
LOCATION = "Location"


async def _recipes(items: list[InventoryItem], info: Info) -> list[list[RecipeLine]]:
    """InventoryItem.recipe of a column of items (the list plan's batch, see batched)."""
    from graphql_schema.recipes.types import variant_recipes

    variants = [
        uuid.UUID(item.product_variant_id) if item.variant_pk is None else item.variant_pk
        for item in items
    ]
    return await variant_recipes(info, variants)


async def _stocks(
    items: list[InventoryItem], info: Info, location_id: strawberry.ID | None = None
) -> list[list[Stock]]:
    """InventoryItem.stocks of a column of items (the list plan's batch, see batched)."""
    from graphql_schema.item_stocks import known_stocks, shown_stocks_of_items

    known = known_stocks(items, location_id)
    if known is not None:
        return known

    return await shown_stocks_of_items(info, ItemType.PRODUCT, [i.pk for i in items], location_id)


async def _available(
    items: list[InventoryItem], info: Info, location_id: strawberry.ID
) -> list[Decimal | None]:
    """InventoryItem.availableToSell of a column of items (the list plan's batch): the
    location id parsed once for the page, not once per item; the answers the page's read
    computed (known_available) taken as they are, the loader asked only for the others."""
    location_pk = parse_id(location_id, LOCATION)
    if location_pk is None:
        return [None for _ in items]
    answers: list[Decimal | None] = []
    unknown: list[int] = []
    for at, item in enumerate(items):
        known = item.known_available
        if known is not None and location_pk in known:
            answers.append(known[location_pk])
        else:
            answers.append(None)
            unknown.append(at)
    if unknown:
        loader = info.context.loaders.available_to_sell
        found = await load_all(loader, [(items[at].pk, location_pk) for at in unknown])
        for at, value in zip(unknown, found, strict=True):
            answers[at] = value
    return answers


@strawberry.type
class InventoryItem(Node):
    pk: strawberry.Private[uuid.UUID]
    product_variant_id: strawberry.ID
    sku: str | None
    name: str
    track_inventory: bool
    unit: str
    archived: bool
    created_at: datetime
    updated_at: datetime
    # Set when the page query computed availableToSell for the whole page (per location
    # id, see items/availability.py): the resolver reads it.
    known_available: strawberry.Private[dict[uuid.UUID, Decimal | None] | None] = None
    own_units: strawberry.Private[Any] = None
    # (average unit cost,) when built from a full item row; else the loader is asked.
    known_cost: strawberry.Private[tuple[Decimal | None] | None] = None
    # product_variant_id as the page's row holds it: parsing the ID back costs ~1 µs.
    variant_pk: strawberry.Private[uuid.UUID | None] = None
    # Its stocks at every location, when its page read them with it (items/queries.py):
    # the columns that page's stocks selection shows.
    known_stock_rows: strawberry.Private[list[Any] | None] = None

    # Moving average per base unit, in the merchant's purchase currency.
    @strawberry.field
    async def average_unit_cost(self, info: Info) -> Decimal | None:
        if self.known_cost is not None:
            return self.known_cost[0]
        row = await info.context.loaders.item.load(self.pk)
        return None if row is None else row.average_unit_cost

    @strawberry.field
    async def units(self, info: Info) -> list[ItemUnit]:
        own = self.own_units
        if own is None:
            # Built from a realtime snapshot, which does not carry them.
            row = await info.context.loaders.item.load(self.pk)
            own = None if row is None else row.units
        return item_units(self.unit, own)

    @batched(_recipes)
    async def recipe(
        self, info: Info
    ) -> list[Annotated[RecipeLine, strawberry.lazy("graphql_schema.recipes.types")]]:
        from graphql_schema.recipes.types import recipe_lines

        read = await info.context.loaders.variant_recipe.load(uuid.UUID(self.product_variant_id))
        return recipe_lines(read)

    @batched(_stocks)
    async def stocks(
        self, info: Info, location_id: strawberry.ID | None = None
    ) -> list[Annotated[Stock, strawberry.lazy("graphql_schema.stocks.types")]]:
        from graphql_schema.stocks.types import stock_from_row, stocks_of_item

        if location_id is None and self.known_stock_rows is not None:
            return [stock_from_row(row) for row in self.known_stock_rows]
        return await stocks_of_item(info, ItemType.PRODUCT, self.pk, location_id)

    @batched(_available)
    async def available_to_sell(self, info: Info, location_id: strawberry.ID) -> Decimal | None:
        location_pk = parse_id(location_id, LOCATION)
        if location_pk is None:
            return None
        known = self.known_available
        if known is not None and location_pk in known:
            return known[location_pk]
        return await info.context.loaders.available_to_sell.load((self.pk, location_pk))


def item_from_row(row: Row[Any]) -> InventoryItem:
    global_, bare = node_ids(TYPE_NAME, row.id)
    return InventoryItem(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=row.id,
        product_variant_id=strawberry.ID(str(row.product_variant_id)),
        sku=row.sku,
        name=row.name,
        track_inventory=row.track_inventory,
        unit=row.unit,
        archived=row.archived,
        created_at=row.created_at,
        updated_at=row.updated_at,
        own_units=row.units,
        known_cost=(row.average_unit_cost,) if "average_unit_cost" in row._fields else None,
    )


async def load_item(info: Info, pk: uuid.UUID) -> InventoryItem | None:
    row = await info.context.loaders.item.load(pk)
    return None if row is None else item_from_row(row)
