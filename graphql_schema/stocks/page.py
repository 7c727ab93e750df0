"""A page of stocks with the relations its selection asks for, in one cached statement.

When a page selects `location`, `item` or `incoming`, the page query LEFT JOINs them
(within the merchant; incoming as the open lines summed per stock), so a page costs one
statement instead of a page query plus a batch per relation, and each stock answers them
without a loader (Stock.known_location/known_item/known_incoming, which the resolvers
return as they are). A location shared by many stocks of a page is
built once. A relation the join did not find stays unknown, and the resolver asks the
loader, as it does for stocks reached any other way.

A page reads only the columns its nodes' selection shows: each field of Stock and of the
joined types names the columns its builder's value for it comes from (`FIELD_COLUMNS`,
graphql_schema/shown_columns.py); the
others are read as NULL (the same row shape, so the builders are the same), which saves
asyncpg decoding timestamps, uuids and numbers nobody asked for (~0.3 ms of a dashboard
page's 41 columns). A field not named there (one added later) reads every column.

The statement is built once per shape (which filters, which cursor, which joins) with
bound parameters, so SQLAlchemy neither rebuilds it nor recomputes its cache key per
request (about 0.8 ms a page). The page rules are `fetch_page`'s (app/db/queries/keyset.py):
one row more than the limit tells whether there are more, and a backward page is read
in descending order and reversed.
"""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Integer, Select, Table, and_, bindparam, literal_column

from app.db import tables as t
from app.db.driver import (
    DriverStatement,
    Transactional,
    driver_connection,
    processed,
    result_processors,
)
from app.db.queries._lookup import units_as_text
from app.db.queries.incoming import with_incoming
from app.db.queries.keyset import KeysetPage
from app.db.queries.stocks import stocks_statement
from app.domain.enums import ItemType as DomainItemType
from graphql_schema.items.types import item_from_row
from graphql_schema.locations.types import Location, location_from_row
from graphql_schema.materials.types import material_from_row
from graphql_schema.shown_columns import columns_for
from graphql_schema.stocks.types import STOCK_COLUMNS, Stock, stock_of


@dataclass(frozen=True)
class StockWhere:
    """The stocks connection's filters (the merchant's stocks, narrowed)."""

    merchant_id: uuid.UUID
    location_id: uuid.UUID | None = None
    item_type: DomainItemType | None = None
    low_stock_only: bool = False


@dataclass(frozen=True)
class _Shape:
    location: bool
    item_type: bool
    low_stock_only: bool
    after: bool
    before: bool
    backward: bool
    with_location: bool
    with_item: bool
    with_incoming: bool
    # The columns read of each table (None: all), see shown_columns.FIELD_COLUMNS.
    stock_columns: frozenset[str] | None = None
    location_columns: frozenset[str] | None = None
    item_columns: frozenset[str] | None = None
    material_columns: frozenset[str] | None = None


@dataclass(frozen=True)
class _Statement:
    select: Select[Any]
    # The same statement read through the driver (DATABASE_DRIVER_STATEMENTS): SQLAlchemy's
    # result processing of a 100-row page costs ~1 ms of CPU more than asyncpg's records
    # with the few columns that need it (enums, JSON) converted by the same processors.
    driver: DriverStatement
    # The driver's records converted where SQLAlchemy's would be, but for the stock's
    # item type, which `stock_of` takes as text or enum.
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    location_at: slice | None
    item_at: slice | None
    material_at: slice | None
    incoming_at: int | None


# The joined tables' columns no *_from_row builder reads: not read at all (decoding a
# page's timestamps and uuids is most of asyncpg's CPU for it). A builder that comes to
# read one fails on the page's row (no such attribute), in every test of a stocks page.
_UNREAD = {
    "stock": {"merchant_id", "created_at"},
    "location": {"merchant_id", "updated_at"},
    "inventory_item": {"merchant_id", "product_id", "provisional", "source_lsn"},
    "material": {"merchant_id", "default_low_stock_threshold"},
}


def _read_columns(table: Table) -> list[Any]:
    return [column for column in table.c if column.name not in _UNREAD[table.name]]


def _row_type(table: Table) -> Any:
    # Attribute access like the table's own rows, for the *_from_row builders.
    names = [column.name for column in _read_columns(table)]
    return namedtuple(f"{table.name}_row", names)  # type: ignore[misc]


_LOCATION_ROW = _row_type(t.location)
_ITEM_ROW = _row_type(t.inventory_item)
_MATERIAL_ROW = _row_type(t.material)


def _selected(table: Table, read: frozenset[str] | None, prefix: str = "") -> list[Any]:
    """The table's read columns, those outside `read` (None: all) as NULL."""
    return [
        units_as_text(column).label(f"{prefix}{column.name}")
        if read is None or column.name in read
        else literal_column("NULL").label(f"{prefix}{column.name}")
        for column in _read_columns(table)
    ]


def _join(
    statement: Select[Any], table: Table, key: Any, read: frozenset[str] | None
) -> tuple[Select[Any], slice]:
    """`statement` LEFT JOIN `table` on `key` within the merchant (its columns outside
    `read` as NULL); where its columns land."""
    start = len(statement.selected_columns)
    labelled = _selected(table, read, f"{table.name}__")
    joined = statement.add_columns(*labelled).outerjoin(
        table, and_(table.c.id == key, table.c.merchant_id == t.stock.c.merchant_id)
    )
    return joined, slice(start, start + len(labelled))


@lru_cache(maxsize=128)
def _statement(shape: _Shape) -> _Statement:
    stock = t.stock
    statement = stocks_statement(
        cast(uuid.UUID, bindparam("merchant_id")),
        location_id=cast(uuid.UUID, bindparam("location_id")) if shape.location else None,
        item_type=cast(DomainItemType, bindparam("item_type")) if shape.item_type else None,
        low_stock_only=shape.low_stock_only,
    )
    statement = statement.with_only_columns(*_selected(stock, shape.stock_columns))
    if shape.after:
        statement = statement.where(stock.c.id > bindparam("after"))
    if shape.before:
        statement = statement.where(stock.c.id < bindparam("before"))
    location_at = item_at = material_at = incoming_at = None
    if shape.with_location:
        statement, location_at = _join(
            statement, t.location, stock.c.location_id, shape.location_columns
        )
    if shape.with_item:
        statement, item_at = _join(
            statement, t.inventory_item, stock.c.inventory_item_id, shape.item_columns
        )
        statement, material_at = _join(
            statement, t.material, stock.c.material_id, shape.material_columns
        )
    if shape.with_incoming:
        incoming_at = len(statement.selected_columns)
        statement = with_incoming(
            statement, cast(uuid.UUID, bindparam("merchant_id")), "stock__incoming"
        )
    order = stock.c.id.desc() if shape.backward else stock.c.id.asc()
    statement = statement.order_by(order).limit(bindparam("limit", type_=Integer))
    names = tuple(str(column.key) for column in statement.selected_columns)
    # `_stocks` reads a stock by position, so the table's columns must come first, in order.
    assert names[: len(STOCK_COLUMNS)] == STOCK_COLUMNS, names
    item_type_at = STOCK_COLUMNS.index("item_type")
    return _Statement(
        statement,
        DriverStatement(statement),
        tuple((at, process) for at, process in result_processors(statement) if at != item_type_at),
        location_at,
        item_at,
        material_at,
        incoming_at,
    )


async def fetch_stocks_page(
    unit: Transactional,
    where: StockWhere,
    page: KeysetPage,
    wanted: Mapping[str, frozenset[str]],
) -> tuple[list[Stock], bool]:
    """One page of the stocks `where` selects (on `unit`: the request's driver connection,
    or its session with driver statements off), joined with the relations in `wanted`
    (the fields its nodes select, each with the fields selected under it), reading the
    columns those show: its Stock nodes in page order, and whether more lie beyond it."""
    item_fields = wanted.get("item", frozenset())
    shape = _Shape(
        location=where.location_id is not None,
        item_type=where.item_type is not None,
        low_stock_only=where.low_stock_only,
        after=page.after is not None,
        before=page.before is not None,
        backward=page.backward,
        with_location="location" in wanted,
        with_item="item" in wanted,
        with_incoming="incoming" in wanted,
        stock_columns=columns_for(("stock",), frozenset(wanted)),
        location_columns=columns_for(("location",), wanted.get("location", frozenset())),
        item_columns=columns_for(("inventory_item", "material"), item_fields),
        material_columns=columns_for(("material", "inventory_item"), item_fields),
    )
    statement = _statement(shape)
    parameters: dict[str, Any] = {"merchant_id": where.merchant_id, "limit": page.limit + 1}
    for name, value in (
        ("location_id", where.location_id),
        ("item_type", where.item_type),
        ("after", page.after),
        ("before", page.before),
    ):
        if value is not None:
            parameters[name] = value
    connection = await driver_connection(unit)
    rows: Sequence[Any]
    if isinstance(connection, asyncpg.Connection):
        rows = await statement.driver.fetch(connection, parameters)
        if statement.processors:
            rows = [processed(record, statement.processors) for record in rows]
    else:  # the fast path off: SQLAlchemy reads and converts the rows itself
        rows = (await connection.execute(statement.select, parameters)).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows = rows[::-1]
    return _stocks(statement, rows), has_more


def _stocks(statement: _Statement, rows: Sequence[Any]) -> list[Stock]:
    """The page's Stock nodes from its rows, read by position: a stock's columns come
    first in the table's order (the arguments of `stock_of`), then each joined table's
    (the *_from_row builders' rows made of their slices). Rows are the driver's records
    or SQLAlchemy's rows alike (a namedtuple per row and its attribute reads were ~2 µs a
    stock)."""
    stocks = len(STOCK_COLUMNS)
    location_at, item_at, material_at, incoming_at = (
        statement.location_at,
        statement.item_at,
        statement.material_at,
        statement.incoming_at,
    )
    nodes = [stock_of(*row[:stocks]) for row in rows]
    if location_at is None and item_at is None and incoming_at is None:
        return nodes
    locations: dict[uuid.UUID, Location] = {}
    for node, row in zip(nodes, rows, strict=True):
        if incoming_at is not None:
            node.known_incoming = row[incoming_at]
        if location_at is not None:
            # The page's few locations built once: their columns sliced on the first only.
            location_id = row[location_at.start]
            if location_id is not None:
                known = locations.get(location_id)
                if known is None:
                    known = location_from_row(_LOCATION_ROW._make(row[location_at]))
                    locations[location_id] = known
                node.known_location = known
        if item_at is not None and material_at is not None:
            if node.item_type is DomainItemType.PRODUCT:
                if row[item_at.start] is not None:
                    node.known_item = item_from_row(_ITEM_ROW._make(row[item_at]))
            elif row[material_at.start] is not None:
                node.known_item = material_from_row(_MATERIAL_ROW._make(row[material_at]))
    return nodes
