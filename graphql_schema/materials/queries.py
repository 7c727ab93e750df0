"""Material queries."""

from __future__ import annotations

from typing import Any

import strawberry

from app.db.queries.keyset import count_rows
from app.db.queries.materials import (
    materials_page,
    materials_page_with_stocks,
    materials_statement,
)
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.item_stocks import stocks_read_with_page
from graphql_schema.materials.types import TYPE_NAME, Material, load_material, material_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, build_connection, node_selection, page_request
from graphql_schema.shown_columns import columns_of


@strawberry.type
class MaterialQueries:
    @secured(CanRead)
    async def materials(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        include_archived: bool | None = False,
    ) -> Connection[Material]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        context = info.context
        merchant_id, archived = context.merchant_id, bool(include_archived)
        # Only the columns the nodes' fields show (the others NULL): a page's own rows,
        # never a loader's.
        wanted = node_selection(info)
        columns = columns_of("material", wanted.keys())

        async def counter() -> int:
            counted = materials_statement(merchant_id, search=search, include_archived=archived)
            return await context.read(lambda session: count_rows(session, counted))

        stock_columns = stocks_read_with_page(info, wanted)
        if stock_columns is not None:
            # The page's stocks in its own statement: one round trip less.
            result, stocks = await context.read_driver(
                lambda unit: materials_page_with_stocks(
                    unit,
                    merchant_id,
                    request.keyset,
                    stock_columns,
                    search=search,
                    include_archived=archived,
                    columns=columns,
                )
            )

            def with_stocks(row: Any) -> Material:
                material = material_from_row(row)
                material.known_stock_rows = stocks[row.id]
                return material

            return build_connection(request, result, with_stocks, counter)
        result = await context.read_driver(
            lambda unit: materials_page(
                unit,
                merchant_id,
                request.keyset,
                search=search,
                include_archived=archived,
                columns=columns,
            )
        )

        return build_connection(request, result, material_from_row, counter)

    @secured(CanRead)
    async def material(self, info: Info, id: strawberry.ID) -> Material | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_material(info, pk)
