"""Inventory item reads: listings with search, lookups by id and by product variant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, select
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
    item_id = t.inventory_item.c.id
    statement = with_available_to_sell(statement, len(location_ids))
    if page.after is not None:
        statement = statement.where(item_id > page.after)
    if page.before is not None:
        statement = statement.where(item_id < page.before)
    order = item_id.desc() if page.backward else item_id.asc()
    statement = statement.order_by(order).limit(page.limit + 1)
    params = available_to_sell_params(merchant_id, location_ids)
    rows = list((await session.execute(statement, params)).all())
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
