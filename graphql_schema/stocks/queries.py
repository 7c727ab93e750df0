"""Stock queries: the stocks connection (also behind Location.stocks) and one stock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import strawberry

from app.db.queries.keyset import count_rows
from app.db.queries.stocks import stocks_statement
from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.ids import filter_id, parse_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, connection_of, node_selection, page_request
from graphql_schema.stocks.page import StockWhere, fetch_stocks_page
from graphql_schema.stocks.types import TYPE_NAME, Stock, load_stock


@dataclass(frozen=True)
class StockFilter:
    location_id: uuid.UUID | None = None
    item_type: ItemType | None = None
    low_stock_only: bool = False


async def stock_connection(
    info: Info,
    where: StockFilter,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Stock]:
    request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
    context = info.context
    scope = StockWhere(
        context.merchant_id, where.location_id, where.item_type, where.low_stock_only
    )
    wanted = node_selection(info)
    nodes, has_more = await context.read_driver(
        lambda unit: fetch_stocks_page(unit, scope, request.keyset, wanted)
    )

    async def counter() -> int:
        statement = stocks_statement(
            scope.merchant_id,
            location_id=scope.location_id,
            item_type=scope.item_type,
            low_stock_only=scope.low_stock_only,
        )
        return await context.read(lambda session: count_rows(session, statement))

    return connection_of(request, nodes, [node.pk for node in nodes], has_more, counter)


@strawberry.type
class StockQueries:
    @secured(CanRead)
    async def stocks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        location_id: strawberry.ID | None = None,
        item_type: ItemType | None = None,
        low_stock_only: bool | None = False,
    ) -> Connection[Stock]:
        where = StockFilter(filter_id(location_id, "Location"), item_type, bool(low_stock_only))
        return await stock_connection(info, where, first, after, last, before)

    @secured(CanRead)
    async def stock(self, info: Info, id: strawberry.ID) -> Stock | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_stock(info, pk)
