"""Inventory item reads: listings with search, lookups by id and by product variant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import contains_text, rows_by_id


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
