"""Stock reads: filtered listings, lookups by id, and the stocks of given items."""

from __future__ import annotations

import uuid
from collections import namedtuple
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, Uuid, and_, any_, bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.driver import RowsStatement, Transactional
from app.db.queries._lookup import rows_by_id, uuid_array
from app.domain.enums import ItemType


def stocks_statement(
    merchant_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None = None,
    item_type: ItemType | None = None,
    low_stock_only: bool = False,
) -> Select[Any]:
    stock = t.stock
    statement = select(stock).where(stock.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(stock.c.location_id == location_id)
    if item_type is not None:
        statement = statement.where(stock.c.item_type == item_type)
    if low_stock_only:
        # The rule of app.domain.stock_rules.is_low, as SQL.
        statement = statement.where(
            stock.c.low_stock_threshold.is_not(None),
            stock.c.available <= stock.c.low_stock_threshold,
        )
    return statement


async def stocks_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.stock, merchant_id, ids)


async def stocks_of_items(
    unit: Transactional,
    merchant_id: uuid.UUID,
    item_type: ItemType,
    item_ids: Iterable[uuid.UUID],
    location_id: uuid.UUID | None = None,
    columns: frozenset[str] | None = None,
) -> dict[uuid.UUID, list[Any]]:
    """Each item's stocks (at one location when given), in id order; [] when none.

    Rows as namedtuples of the stock's columns but merchant_id and created_at, those
    outside `columns` (None: all; the item's id column always read) NULL and item_type
    then a constant of the rows (not a field), read through
    the driver (a page's items have hundreds of stocks: SQLAlchemy's processing of them
    cost ~1 ms of CPU)."""
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        return {}
    parameters: dict[str, Any] = {"merchant_id": merchant_id, "items": wanted}
    if location_id is not None:
        parameters["location_id"] = location_id
    found: dict[uuid.UUID, list[Any]] = {item_id: [] for item_id in wanted}
    product = item_type is ItemType.PRODUCT
    statement = _of_items(item_type, location_id is not None, columns)
    for row in await statement.fetch(unit, parameters):
        found[row.inventory_item_id if product else row.material_id].append(row)
    return found


def _null(name: str) -> Any:
    return literal_column("NULL").label(name)


# Columns stock_from_row does not read, left out of the stocks of items: decoding a
# timestamp costs asyncpg ~0.6 µs, a uuid ~0.4 µs, on hundreds of stocks a page. A
# builder that comes to read one fails on these rows (no such attribute), in the tests
# of items' and materials' stocks.
_UNREAD_BY_ITEM = {"merchant_id", "created_at"}


def item_stock_columns(item_type: ItemType, columns: frozenset[str], prefix: str = "") -> list[Any]:
    """What `stocks_of_items` selects of a stock reading `columns` (labelled with
    `prefix`): every column it reads, those outside `columns` NULL but the item's own,
    without item_type (`item_stock_row`'s constant)."""
    stock = t.stock
    column = stock.c.inventory_item_id if item_type is ItemType.PRODUCT else stock.c.material_id
    return [
        c.label(f"{prefix}{c.name}")
        if c.name in columns or c is column
        else _null(f"{prefix}{c.name}")
        for c in stock.c
        if c.name not in _UNREAD_BY_ITEM and c.name != "item_type"
    ]


@lru_cache(maxsize=4)
def item_stock_row(item_type: ItemType) -> Any:
    """The row type of `item_stock_columns`' values: a namedtuple of them whose
    item_type is `item_type`, as `stocks_of_items` answers rows."""
    names = [c.name for c in t.stock.c if c.name not in _UNREAD_BY_ITEM and c.name != "item_type"]
    fields: Any = namedtuple("row", names)  # type: ignore[misc]
    return type("row", (fields,), {"__slots__": (), "item_type": item_type})


@lru_cache(maxsize=64)
def _of_items(
    item_type: ItemType, at_location: bool, columns: frozenset[str] | None = None
) -> RowsStatement:
    stock = t.stock
    column = stock.c.inventory_item_id if item_type is ItemType.PRODUCT else stock.c.material_id
    # With columns given, item_type is the rows' constant (the WHERE fixes it by the
    # item's column): its decoding and enum conversion cost ~1 µs a row.
    read = (
        [c for c in stock.c if c.name not in _UNREAD_BY_ITEM]
        if columns is None
        else item_stock_columns(item_type, columns)
    )
    statement = select(*read).where(
        stock.c.merchant_id == bindparam("merchant_id", type_=Uuid),
        column == any_(uuid_array("items")),
    )
    if at_location:
        statement = statement.where(stock.c.location_id == bindparam("location_id", type_=Uuid))
    constants = None if columns is None else {"item_type": item_type}
    return RowsStatement(statement.order_by(stock.c.id), constants)


def with_item_stocks(
    paged: Any, item_type: ItemType, columns: frozenset[str], merchant_parameter: str
) -> Select[Any]:
    """A page's rows (`paged`, a subquery of items or materials by `id`) each joined with
    its item's stocks, reading `columns` of them (`item_stock_columns`, labelled
    `stock__`): one statement for a page and its items' stocks. Ordered by the caller."""
    stock = t.stock
    owner = stock.c.inventory_item_id if item_type is ItemType.PRODUCT else stock.c.material_id
    return select(*paged.c, *item_stock_columns(item_type, columns, "stock__")).select_from(
        paged.outerjoin(
            stock,
            and_(
                stock.c.merchant_id == bindparam(merchant_parameter, type_=Uuid),
                owner == paged.c.id,
            ),
        )
    )
