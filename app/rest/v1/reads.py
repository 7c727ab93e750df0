"""Read routes: stocks, locations and movements, one keyset page at a time."""

from __future__ import annotations

from app.db import tables as t
from app.db.queries.incoming import incoming_by_stock_id
from app.db.queries.locations import locations_statement
from app.db.queries.movements import MovementFilter, movements_statement
from app.db.queries.rest_stocks import RestStockFilter, rest_stocks_statement
from app.rest.v1.endpoint import Call, Reply
from app.rest.v1.pagination import page_of
from app.rest.v1.responses import (
    LocationPage,
    MovementPage,
    StockPage,
    location_from_row,
    movement_from_row,
    stock_from_row,
)
from app.rest.v1.schemas import LocationsQuery, MovementsQuery, StocksQuery


async def list_stocks(call: Call) -> Reply:
    query = call.query_as(StocksQuery)
    where = RestStockFilter(
        location_id=query.location_id,
        product_variant_id=query.product_variant_id,
        material_id=query.material_id,
        item_type=query.item_type,
        low_stock_only=query.low_stock_only,
    )
    async with call.sessions.begin() as session:
        rows, next_cursor = await page_of(
            session,
            rest_stocks_statement(call.merchant_id, where),
            t.stock.c.id,
            limit=query.limit,
            cursor=query.cursor,
        )
        incoming = await incoming_by_stock_id(session, call.merchant_id, [r.id for r in rows])
    items = [stock_from_row(row, incoming[row.id]) for row in rows]
    return Reply(200, StockPage(items=items, next_cursor=next_cursor))


async def list_locations(call: Call) -> Reply:
    query = call.query_as(LocationsQuery)
    statement = locations_statement(call.merchant_id, include_archived=query.include_archived)
    async with call.sessions.begin() as session:
        rows, next_cursor = await page_of(
            session, statement, t.location.c.id, limit=query.limit, cursor=query.cursor
        )
    items = [location_from_row(row) for row in rows]
    return Reply(200, LocationPage(items=items, next_cursor=next_cursor))


async def list_movements(call: Call) -> Reply:
    query = call.query_as(MovementsQuery)
    where = MovementFilter(
        stock_id=query.stock_id,
        reference_type=query.reference_type,
        reference_id=query.reference_id,
        since=query.since,
    )
    async with call.sessions.begin() as session:
        rows, next_cursor = await page_of(
            session,
            movements_statement(call.merchant_id, where),
            t.stock_movement.c.id,
            limit=query.limit,
            cursor=query.cursor,
        )
    items = [movement_from_row(row) for row in rows]
    return Reply(200, MovementPage(items=items, next_cursor=next_cursor))
