"""Inventory item queries: the listing, and one item by id or by product variant."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.items import items_statement
from graphql_schema.context import Info
from graphql_schema.errors import bad_input
from graphql_schema.ids import parse_external_id, parse_id
from graphql_schema.items.types import TYPE_NAME, InventoryItem, item_from_row, load_item
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class ItemQueries:
    @secured(CanRead)
    async def inventory_items(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        include_archived: bool | None = False,
    ) -> Connection[InventoryItem]:
        request = page_request(TYPE_NAME, first, after, last, before)
        statement = items_statement(
            info.context.merchant_id, search=search, include_archived=bool(include_archived)
        )
        return await keyset_connection(
            info.context, request, statement, t.inventory_item.c.id, item_from_row
        )

    @secured(CanRead, description="By id or by productVariantId.")
    async def inventory_item(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        product_variant_id: strawberry.ID | None = None,
    ) -> InventoryItem | None:
        if (id is None) == (product_variant_id is None):
            raise bad_input("give exactly one of id and productVariantId")
        if id is not None:
            pk = parse_id(id, TYPE_NAME)
            return None if pk is None else await load_item(info, pk)
        assert product_variant_id is not None
        variant = parse_external_id(product_variant_id)
        if variant is None:
            return None
        row = await info.context.loaders.item_by_variant.load(variant)
        return None if row is None else item_from_row(row)
