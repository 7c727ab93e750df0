"""Location: a store, kitchen or warehouse of the merchant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Row

from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.ids import node_ids
from graphql_schema.list_plan.batch import batched
from graphql_schema.relay import Connection, Node

if TYPE_CHECKING:
    from graphql_schema.stocks.types import Stock

TYPE_NAME = "Location"


async def _stocks(
    locations: list[Location],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    item_type: ItemType | None = None,
    low_stock_only: bool | None = False,
) -> list[Connection[Stock]]:
    """Location.stocks for a whole list (list_plan/batch.py): one page per location, not
    per object. A page of stocks asking each stock's location for its stocks reads each
    of the merchant's few locations once, not once per stock."""
    pages: dict[uuid.UUID, Connection[Stock]] = {}
    for location in locations:
        if location.pk not in pages:
            pages[location.pk] = await _stocks_at(
                location.pk, info, first, after, last, before, item_type, low_stock_only
            )
    return [pages[location.pk] for location in locations]


@strawberry.type
class Location(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    code: str | None
    address: str | None
    is_default: bool
    archived: bool
    created_at: datetime

    @batched(_stocks)
    async def stocks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        item_type: ItemType | None = None,
        low_stock_only: bool | None = False,
    ) -> Connection[Annotated[Stock, strawberry.lazy("graphql_schema.stocks.types")]]:
        return await _stocks_at(
            self.pk, info, first, after, last, before, item_type, low_stock_only
        )


async def _stocks_at(
    pk: uuid.UUID,
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    item_type: ItemType | None,
    low_stock_only: bool | None,
) -> Connection[Stock]:
    from graphql_schema.stocks.queries import StockFilter, stock_connection

    where = StockFilter(pk, item_type, bool(low_stock_only))
    return await stock_connection(info, where, first, after, last, before)


def location_from_row(row: Row[Any]) -> Location:
    global_, bare = node_ids(TYPE_NAME, row.id)
    return Location(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=row.id,
        name=row.name,
        code=row.code,
        address=row.address,
        is_default=row.is_default,
        archived=row.archived,
        created_at=row.created_at,
    )


async def load_location(info: Info, pk: uuid.UUID) -> Location | None:
    row = await info.context.loaders.location.load(pk)
    return None if row is None else location_from_row(row)
