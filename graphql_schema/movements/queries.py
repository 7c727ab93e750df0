"""The ledger history: movements filtered by stock, location, type, reference and time."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.db import tables as t
from app.db.queries.movements import MovementFilter, movements_statement
from graphql_schema.context import Info
from graphql_schema.enums import MovementType, ReferenceType
from graphql_schema.ids import filter_id
from graphql_schema.movements.types import TYPE_NAME, StockMovement, movement_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request


async def movement_connection(
    info: Info,
    where: MovementFilter,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[StockMovement]:
    request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
    statement = movements_statement(info.context.merchant_id, where)
    return await keyset_connection(
        info.context, request, statement, t.stock_movement.c.id, movement_from_row
    )


@strawberry.type
class MovementQueries:
    @secured(
        CanRead,
        description="The ledger in the order it was written (oldest first; use last for newest).",
    )
    async def stock_movements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        stock_id: strawberry.ID | None = None,
        location_id: strawberry.ID | None = None,
        type: MovementType | None = None,
        reference_type: ReferenceType | None = None,
        reference_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Connection[StockMovement]:
        where = MovementFilter(
            stock_id=filter_id(stock_id, "Stock"),
            location_id=filter_id(location_id, "Location"),
            type=type,
            reference_type=reference_type,
            reference_id=reference_id,
            since=since,
            until=until,
        )
        return await movement_connection(info, where, first, after, last, before)
