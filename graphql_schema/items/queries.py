"""Inventory item queries: the listing (with availableToSell prefetched for the page when
its nodes ask for it, and their stocks when they ask for all of them; only the item
columns its nodes show; its sibling pages read in the same statement), and one item by
id or by product variant."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import Row

from app.db.queries.items import ItemsPage, items_statement
from app.db.queries.keyset import count_rows
from graphql_schema.context import Info
from graphql_schema.errors import bad_input
from graphql_schema.ids import parse_external_id, parse_id
from graphql_schema.item_stocks import stocks_read_with_page
from graphql_schema.items.availability import asked_locations
from graphql_schema.items.page_batch import item_pages
from graphql_schema.items.types import TYPE_NAME, InventoryItem, item_from_row, load_item
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, build_connection, node_selection, page_request
from graphql_schema.shown_columns import columns_of


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
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        context = info.context
        merchant_id = context.merchant_id
        locations = asked_locations(info)

        async def counter() -> int:
            counted = items_statement(
                merchant_id, search=search, include_archived=bool(include_archived)
            )
            return await context.read(lambda session: count_rows(session, counted))

        # The page, and its availableToSell at every location asked, in one statement
        # (with its sibling pages, see page_batch.py).
        asked = ItemsPage(request.keyset, search, bool(include_archived))
        # Only the item columns the nodes' fields show (the others NULL): the page's own
        # rows, never a loader's.
        wanted = node_selection(info)
        columns = columns_of("inventory_item", wanted.keys())
        stock_columns = stocks_read_with_page(info, wanted)
        result, stocks = await item_pages(context).read(asked, locations, columns, stock_columns)
        first = len(result.rows[0]) - len(locations) if result.rows else 0
        if not locations:

            def to_item(row: Row[Any]) -> InventoryItem:
                item = item_from_row(row)
                item.variant_pk = row.product_variant_id
                return item

        elif len(locations) == 1:
            (only,) = locations

            def to_item(row: Row[Any]) -> InventoryItem:
                item = item_from_row(row)
                item.variant_pk = row.product_variant_id
                item.known_available = {only: row[first]}
                return item

        else:

            def to_item(row: Row[Any]) -> InventoryItem:
                item = item_from_row(row)
                item.variant_pk = row.product_variant_id
                item.known_available = dict(zip(locations, row[first:], strict=True))
                return item

        if stocks is None:
            return build_connection(request, result, to_item, counter)

        def with_stocks(row: Row[Any]) -> InventoryItem:
            item = to_item(row)
            item.known_stock_rows = stocks[row.id]
            return item

        return build_connection(request, result, with_stocks, counter)

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
