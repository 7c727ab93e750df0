"""Purchase order reads: filtered listings, lookups, and lines and payments per order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id
from app.domain.enums import PurchaseOrderStatus


def purchase_orders_statement(
    merchant_id: uuid.UUID,
    *,
    status: PurchaseOrderStatus | None = None,
    location_id: uuid.UUID | None = None,
    vendor_id: uuid.UUID | None = None,
) -> Select[Any]:
    po = t.purchase_order
    statement = select(po).where(po.c.merchant_id == merchant_id)
    if status is not None:
        statement = statement.where(po.c.status == status)
    if location_id is not None:
        statement = statement.where(po.c.location_id == location_id)
    if vendor_id is not None:
        statement = statement.where(po.c.vendor_id == vendor_id)
    return statement


async def purchase_orders_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.purchase_order, merchant_id, ids)


async def _children(
    session: AsyncSession, table: Table, merchant_id: uuid.UUID, order_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        return {}
    order = [table.c.position, table.c.id] if "position" in table.c else [table.c.id]
    statement = (
        select(table)
        .where(table.c.merchant_id == merchant_id, table.c.purchase_order_id.in_(wanted))
        .order_by(*order)
    )
    found: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in await session.execute(statement):
        found[row.purchase_order_id].append(row)
    return {order_id: found.get(order_id, []) for order_id in wanted}


async def lines_by_order(
    session: AsyncSession, merchant_id: uuid.UUID, order_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    return await _children(session, t.purchase_order_line, merchant_id, order_ids)


async def payments_by_order(
    session: AsyncSession, merchant_id: uuid.UUID, order_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    return await _children(session, t.purchase_order_payment, merchant_id, order_ids)


async def backorders_by_original(
    session: AsyncSession, merchant_id: uuid.UUID, order_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """The backorder of each order that has one, keyed by the original order's id."""
    wanted = list(dict.fromkeys(order_ids))
    if not wanted:
        return {}
    po = t.purchase_order
    statement = select(po).where(po.c.merchant_id == merchant_id, po.c.backorder_of_id.in_(wanted))
    return {row.backorder_of_id: row for row in await session.execute(statement)}


async def purchase_currency(session: AsyncSession, merchant_id: uuid.UUID) -> str | None:
    """The merchant's purchase currency: its first purchase order's (uuid7 ids follow
    creation), None before it has any."""
    po = t.purchase_order
    statement = select(po.c.currency).where(po.c.merchant_id == merchant_id).order_by(po.c.id)
    return (await session.execute(statement.limit(1))).scalar_one_or_none()
