"""Material reads: listings with search and lookups by id, within one merchant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Uuid, bindparam, literal_column, select
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
from app.db.queries.keyset import (
    KeysetPage,
    KeysetResult,
    PageShape,
    bound_page,
    keyset_params,
    keyset_result,
)
from app.db.queries.stocks import item_stock_row, with_item_stocks
from app.domain.enums import ItemType

# Columns material_from_row does not read, left out of pages: decoding a row's uuids and
# numerics is most of asyncpg's CPU for it. A builder that comes to read one fails on
# every listing's row (no such attribute), in the materials tests.
_UNREAD_ON_PAGES = {"merchant_id", "default_low_stock_threshold"}


def materials_statement(
    merchant_id: uuid.UUID, *, search: str | None = None, include_archived: bool = False
) -> Select[Any]:
    material = t.material
    statement = select(material).where(material.c.merchant_id == merchant_id)
    return _filtered(
        statement, include_archived, contains_text(search, *_searched()) if search else None
    )


async def materials_page(
    unit: Transactional,
    merchant_id: uuid.UUID,
    page: KeysetPage,
    *,
    search: str | None = None,
    include_archived: bool = False,
    columns: frozenset[str] | None = None,
) -> KeysetResult:
    """A page of `materials_statement`'s materials as keyset.fetch_page reads it, rows as
    namedtuples of the columns material_from_row reads (`units` as JSON text), those
    outside `columns` (None: all) NULL, through one statement per shape read through the
    driver (app/db/driver.RowsStatement)."""
    params = keyset_params(page)
    params["merchant_id"] = merchant_id
    if search:
        params["pattern"] = containing(search)
    statement = _page(include_archived, bool(search), page.shape, columns)
    rows = await statement.fetch(unit, params)
    return keyset_result(rows, page)


async def materials_page_with_stocks(
    unit: Transactional,
    merchant_id: uuid.UUID,
    page: KeysetPage,
    stock_columns: frozenset[str],
    *,
    search: str | None = None,
    include_archived: bool = False,
    columns: frozenset[str] | None = None,
) -> tuple[KeysetResult, dict[uuid.UUID, list[Any]]]:
    """`materials_page`, and the stocks of its materials (every location) as
    stocks.stocks_of_items reads them with `stock_columns`, in the same statement (the
    page LEFT JOIN its stocks): one round trip instead of two."""
    params = keyset_params(page)
    params["merchant_id"] = merchant_id
    if search:
        params["pattern"] = containing(search)
    statement = _page_with_stocks(
        include_archived, bool(search), page.shape, columns, stock_columns
    )
    make_stock = item_stock_row(ItemType.MATERIAL)._make
    rows: list[Any] = []
    stocks: dict[uuid.UUID, list[Any]] = {}
    last: Any = None
    for row in await statement.fetch(unit, params):
        if row.id != last:
            last = row.id
            rows.append(row)
            stocks[last] = []
        if row.stock__id is not None:
            stocks[last].append(make_stock(row[_STOCK_AT:]))
    return _ascending_result(rows, page), stocks


# Where a page row's stock columns begin (`_page_with_stocks`: after the material's).
_STOCK_AT = len([c for c in t.material.c if c.name not in _UNREAD_ON_PAGES])


@lru_cache(maxsize=128)
def _page_with_stocks(
    include_archived: bool,
    search: bool,
    shape: PageShape,
    read: frozenset[str] | None,
    stock_columns: frozenset[str],
) -> RowsStatement:
    """`_page`'s statement LEFT JOIN each material's stocks (within the merchant), in
    ascending id order of the materials then of their stocks."""
    stock = t.stock
    page = _page(include_archived, search, shape, read).driver.statement
    assert isinstance(page, Select)
    paged = page.subquery("page")
    statement = with_item_stocks(paged, ItemType.MATERIAL, stock_columns, "merchant_id").order_by(
        paged.c.id, stock.c.id
    )
    return RowsStatement(statement)


def _ascending_result(rows: list[Any], page: KeysetPage) -> KeysetResult:
    """As keyset_result answers, from `rows` in ascending id order: one beyond the page,
    when there is more, at the far end in the direction of travel."""
    has_more = len(rows) > page.limit
    if has_more:
        rows = rows[1:] if page.backward else rows[:-1]
    return KeysetResult(rows, has_more)


@lru_cache(maxsize=128)
def _page(
    include_archived: bool, search: bool, shape: PageShape, read: frozenset[str] | None
) -> RowsStatement:
    material = t.material
    columns = [
        units_as_text(c) if read is None or c.name in read else literal_column("NULL").label(c.name)
        for c in material.c
        if c.name not in _UNREAD_ON_PAGES
    ]
    statement = select(*columns).where(
        material.c.merchant_id == bindparam("merchant_id", type_=Uuid)
    )
    pattern = matches_pattern(bindparam("pattern"), *_searched()) if search else None
    statement = _filtered(statement, include_archived, pattern)
    return RowsStatement(bound_page(statement, material.c.id, shape))


def _filtered(
    statement: Select[Any], include_archived: bool, search: ColumnElement[bool] | None
) -> Select[Any]:
    if not include_archived:
        statement = statement.where(t.material.c.archived.is_(False))
    if search is not None:
        statement = statement.where(search)
    return statement


def _searched() -> tuple[ColumnElement[Any], ...]:
    return (t.material.c.name, t.material.c.sku)


async def materials_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.material, merchant_id, ids)
