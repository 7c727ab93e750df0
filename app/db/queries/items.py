"""Inventory item reads: listings with search, lookups by id and by product variant."""

from __future__ import annotations

import functools
import uuid
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    Text,
    Uuid,
    bindparam,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.driver import RowsStatement, Transactional
from app.db.queries._lookup import (
    containing,
    contains_text,
    matches_pattern,
    rows_by_id,
    units_as_text,
)
from app.db.queries.availability import available_to_sell_params, with_available_to_sell
from app.db.queries.keyset import (
    KeysetPage,
    KeysetResult,
    PageShape,
    bound_page,
    keyset_params,
)
from app.db.queries.stocks import item_stock_row, with_item_stocks
from app.domain.enums import ItemType


def items_statement(
    merchant_id: uuid.UUID, *, search: str | None = None, include_archived: bool = False
) -> Select[Any]:
    item = t.inventory_item
    statement = select(item).where(item.c.merchant_id == merchant_id)
    if not include_archived:
        statement = statement.where(item.c.archived.is_(False))
    if search:
        statement = statement.where(contains_text(search, item.c.name, item.c.sku))
    return statement


@dataclass(frozen=True)
class ItemsPage:
    """A page of `items_statement(merchant_id, search=..., include_archived=...)`."""

    page: KeysetPage
    search: str | None = None
    include_archived: bool = False


async def items_pages_with_availability(
    unit: Transactional,
    merchant_id: uuid.UUID,
    pages: Sequence[ItemsPage],
    location_ids: Sequence[uuid.UUID],
    columns: frozenset[str] | None = None,
) -> list[KeysetResult]:
    """Pages of the merchant's items as keyset.fetch_page reads each, every row with
    availableToSell at each location as its last columns (in their order); several pages
    in one statement (UNION ALL of the pages, each its own ORDER BY and LIMIT, then their
    availability): one round trip for the sibling connections of one operation.

    Rows are namedtuples of the columns item_from_row reads (`units` as JSON text), after
    `page_index`, those outside `columns` (None: all) NULL but those availability reads
    (`_ALWAYS_ON_PAGES`); read through the driver (app/db/driver.RowsStatement)."""
    shapes, params = _pages_params(merchant_id, pages, location_ids)
    grouped: list[list[Any]] = [[] for _ in pages]
    statement = _pages_statement(shapes, len(location_ids), columns)
    for row in await statement.fetch(unit, params):
        grouped[row.page_index].append(row)
    return [_keyset_result(rows, p.page) for rows, p in zip(grouped, pages, strict=True)]


async def items_pages_with_stocks(
    unit: Transactional,
    merchant_id: uuid.UUID,
    pages: Sequence[ItemsPage],
    location_ids: Sequence[uuid.UUID],
    columns: frozenset[str] | None,
    stock_columns: frozenset[str],
) -> tuple[list[KeysetResult], dict[uuid.UUID, list[Any]]]:
    """`items_pages_with_availability`'s pages, and the stocks of their items (every
    location) as stocks.stocks_of_items reads them with `stock_columns`, in the same
    statement (the pages LEFT JOIN their stocks): one round trip instead of two."""
    shapes, params = _pages_params(merchant_id, pages, location_ids)
    statement, item_make, stock_at = _pages_with_stocks(
        shapes, len(location_ids), columns, stock_columns
    )
    make_stock = item_stock_row(ItemType.PRODUCT)._make
    grouped: list[list[Any]] = [[] for _ in pages]
    stocks: dict[uuid.UUID, list[Any]] = {}
    last: Any = None
    taking = False  # the current row's item's stocks not yet taken (from another page)
    for row in await statement.fetch(unit, params):
        key = (row.page_index, row.id)
        if key != last:
            last = key
            grouped[row.page_index].append(item_make(row[:stock_at]))
            taking = row.id not in stocks
            if taking:
                stocks[row.id] = []
        if taking and row.stock__id is not None:
            stocks[row.id].append(make_stock(row[stock_at:]))
    results = [_keyset_result(rows, p.page) for rows, p in zip(grouped, pages, strict=True)]
    return results, stocks


def _pages_params(
    merchant_id: uuid.UUID, pages: Sequence[ItemsPage], location_ids: Sequence[uuid.UUID]
) -> tuple[tuple[tuple[bool, bool, PageShape], ...], dict[str, Any]]:
    params = available_to_sell_params(merchant_id, location_ids)
    shapes = []
    for index, p in enumerate(pages):
        shapes.append((p.include_archived, bool(p.search), p.page.shape))
        params.update(keyset_params(p.page, f"page_{index}_"))
        if p.search:
            params[f"page_{index}_pattern"] = containing(p.search)
    return tuple(shapes), params


# Columns item_from_row does not read, left out of pages: decoding a row's uuids is most
# of asyncpg's CPU for it. A builder that comes to read one fails on every page's row
# (no such attribute), in the items tests.
_UNREAD_ON_PAGES = {"merchant_id", "product_id", "provisional", "source_lsn"}
# Read whatever the selection: the keyset's column and those availability reads.
_ALWAYS_ON_PAGES = frozenset({"id", "product_variant_id", "track_inventory"})


@functools.lru_cache(maxsize=64)
def _pages_statement(
    shapes: tuple[tuple[bool, bool, PageShape], ...],
    locations: int,
    read: frozenset[str] | None = None,
) -> RowsStatement:
    """Pages of these shapes (archived included, searched, keyset shape), every value a
    bound parameter: built once per shape (a build and its cache key cost ~2 ms of CPU a
    request), one prepared statement each."""
    item = t.inventory_item
    merchant_id = bindparam("ats_merchant_id", type_=Uuid)
    kept = None if read is None else read | _ALWAYS_ON_PAGES
    columns = [
        units_as_text(c) if kept is None or c.name in kept else literal_column("NULL").label(c.name)
        for c in item.c
        if c.name not in _UNREAD_ON_PAGES
    ]
    parts = []
    for index, (include_archived, search, shape) in enumerate(shapes):
        statement = select(*columns).where(item.c.merchant_id == merchant_id)
        if not include_archived:
            statement = statement.where(item.c.archived.is_(False))
        if search:
            pattern = bindparam(f"page_{index}_pattern", type_=Text)
            statement = statement.where(matches_pattern(pattern, item.c.name, item.c.sku))
        page = bound_page(statement, item.c.id, shape, f"page_{index}_")
        # The page's number first: the availability columns stay last.
        parts.append(
            select(literal_column(str(index)).label("page_index"), page.subquery(f"page_{index}"))
        )
    both = parts[0] if len(parts) == 1 else union_all(*parts)
    selected = with_available_to_sell(both.cte("page"), locations)
    # Sorted by PG (a few hundred rows, ~0.1 ms) rather than in Python (~1 ms).
    ordered = selected.selected_columns
    return RowsStatement(selected.order_by(ordered.page_index, ordered.id))


@functools.lru_cache(maxsize=64)
def _pages_with_stocks(
    shapes: tuple[tuple[bool, bool, PageShape], ...],
    locations: int,
    read: frozenset[str] | None,
    stock_columns: frozenset[str],
) -> tuple[RowsStatement, Callable[[Any], Any], int]:
    """`_pages_statement` LEFT JOIN each item's stocks (within the merchant), ordered by
    page, item, stock; with the maker of a page row from a row's columns before its
    stock's, and where those begin."""
    stock = t.stock
    pages = _pages_statement(shapes, locations, read).driver.statement
    assert isinstance(pages, Select)
    paged = pages.subquery("paged")
    statement = with_item_stocks(
        paged, ItemType.PRODUCT, stock_columns, "ats_merchant_id"
    ).order_by(paged.c.page_index, paged.c.id, stock.c.id)
    names = [str(column.key) for column in paged.c]
    item_row: Any = namedtuple("row", names)  # type: ignore[misc]
    return RowsStatement(statement), item_row._make, len(names)


def _keyset_result(rows: list[Any], page: KeysetPage) -> KeysetResult:
    """As keyset.fetch_page answers, from `rows` in ascending id order: one beyond the
    page, when there is more, at the far end in the direction of travel."""
    has_more = len(rows) > page.limit
    if has_more:
        rows = rows[1:] if page.backward else rows[:-1]
    return KeysetResult(rows, has_more)


async def items_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.inventory_item, merchant_id, ids)


async def items_by_product_variant(
    session: AsyncSession, merchant_id: uuid.UUID, variant_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    wanted = list(dict.fromkeys(variant_ids))
    if not wanted:
        return {}
    item = t.inventory_item
    statement = select(item).where(
        item.c.merchant_id == merchant_id, item.c.product_variant_id.in_(wanted)
    )
    return {row.product_variant_id: row for row in await session.execute(statement)}
