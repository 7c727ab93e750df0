"""Inventory item reads: listings with search, lookups by id and by product variant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import contains_text, rows_by_id
from app.db.queries.availability import available_to_sell_params, with_available_to_sell
from app.db.queries.keyset import KeysetPage, KeysetResult


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


async def items_page_with_availability(
    session: AsyncSession,
    statement: Select[Any],
    merchant_id: uuid.UUID,
    location_ids: Sequence[uuid.UUID],
    page: KeysetPage,
) -> KeysetResult:
    """A page of `items_statement` as keyset.fetch_page reads it, each row with
    availableToSell at each location as its last columns (in their order)."""
    (result,) = await items_pages_with_availability(
        session, [(statement, page)], merchant_id, location_ids
    )
    return result


async def items_pages_with_availability(
    session: AsyncSession,
    pages: Sequence[tuple[Select[Any], KeysetPage]],
    merchant_id: uuid.UUID,
    location_ids: Sequence[uuid.UUID],
) -> list[KeysetResult]:
    """Several pages (of `items_statement`s of the merchant) at once, in one statement
    (UNION ALL of the pages, each its own ORDER BY and LIMIT): one round trip for the
    sibling connections of one operation. Each as `items_page_with_availability` answers."""
    params = available_to_sell_params(merchant_id, location_ids)
    if len(pages) == 1:
        ((statement, page),) = pages
        selected = _page_select(statement, len(location_ids), page)
        return [_keyset_result(list((await session.execute(selected, params)).all()), page)]
    parts = []
    for index, (statement, page) in enumerate(pages):
        part = _page_select(statement, len(location_ids), page).subquery(f"page_{index}")
        # The page's number first: the availability columns stay last.
        parts.append(select(literal_column(str(index)).label("page_index"), part))
    grouped: list[list[Row[Any]]] = [[] for _ in pages]
    for row in await session.execute(union_all(*parts), params):
        grouped[row[0]].append(row)
    results = []
    for rows, (_, page) in zip(grouped, pages, strict=True):
        # UNION ALL promises no order: each page's rows sorted again, in its direction.
        rows.sort(key=_row_id, reverse=page.backward)
        results.append(_keyset_result(rows, page))
    return results


def _row_id(row: Row[Any]) -> uuid.UUID:
    return row.id  # type: ignore[no-any-return]


def _page_select(statement: Select[Any], locations: int, page: KeysetPage) -> Select[Any]:
    item_id = t.inventory_item.c.id
    statement = with_available_to_sell(statement, locations)
    if page.after is not None:
        statement = statement.where(item_id > page.after)
    if page.before is not None:
        statement = statement.where(item_id < page.before)
    order = item_id.desc() if page.backward else item_id.asc()
    return statement.order_by(order).limit(page.limit + 1)


def _keyset_result(rows: list[Row[Any]], page: KeysetPage) -> KeysetResult:
    """As keyset.fetch_page: `rows` in the direction of travel, one beyond the page when
    there is more."""
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
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
