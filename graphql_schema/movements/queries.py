"""The ledger history: movements filtered by stock, location, type, reference and time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import strawberry

from app.db import tables as t
from app.db.queries.movements import MovementFilter, movements_pages, movements_statement
from graphql_schema.context import Info
from graphql_schema.enums import MovementType, ReferenceType
from graphql_schema.ids import filter_id
from graphql_schema.movements.types import TYPE_NAME, StockMovement, movement_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, build_connection, keyset_connection, page_request


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


async def movement_connections(
    info: Info,
    stock_ids: list[uuid.UUID],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> list[Connection[StockMovement]]:
    """`movement_connection` of each stock, their pages read in one statement (a page of
    stocks asking for their movements: list_plan/batch.py), their totalCounts in another
    (a dataloader's batch)."""
    request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
    context = info.context
    merchant_id = context.merchant_id
    pages = await context.read(
        lambda session: movements_pages(session, merchant_id, stock_ids, request.keyset)
    )

    def counter(stock_id: uuid.UUID) -> Callable[[], Awaitable[int]]:
        return lambda: context.loaders.movement_count.load(stock_id)

    return [
        build_connection(request, pages[stock_id], movement_from_row, counter(stock_id))
        for stock_id in stock_ids
    ]


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
