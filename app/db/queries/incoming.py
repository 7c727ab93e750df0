"""Incoming quantity per stock: ordered on open purchase orders, not yet received.

Derived, never stored: the lines of this merchant's ORDERED purchase orders (a DRAFT
is not incoming until submitted) whose quantity has not been received, summed by
(location, item). Each function costs one query however many stocks it is asked about
(a dataloader's batch), and answers 0 for every stock nothing is incoming for.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import ARRAY, Select, Uuid, any_, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import ItemType, PurchaseOrderStatus

OPEN = (PurchaseOrderStatus.ORDERED,)
ZERO = Decimal(0)


class StockAddress(Hashable, Protocol):
    """What a stock holds where (`app.services.stock_ledger.StockKey` is one)."""

    @property
    def location_id(self) -> uuid.UUID: ...

    @property
    def item_type(self) -> ItemType: ...

    @property
    def item_id(self) -> uuid.UUID: ...


K = TypeVar("K", bound=StockAddress)


def _open_lines(merchant_id: uuid.UUID) -> Select[tuple[uuid.UUID, str, uuid.UUID, Decimal]]:
    """Incoming by (location, item type, item id) of the merchant's ORDERED orders."""
    po, line = t.purchase_order, t.purchase_order_line
    item_id = func.coalesce(line.c.inventory_item_id, line.c.material_id)
    return (
        select(
            po.c.location_id,
            line.c.item_type,
            item_id.label("item_id"),
            func.sum(line.c.quantity_ordered).label("incoming"),
        )
        .join(line, (line.c.purchase_order_id == po.c.id) & (line.c.merchant_id == merchant_id))
        .where(
            po.c.merchant_id == merchant_id,
            # Not IN: an expanding parameter is rendered per call, and a page read through
            # the driver (graphql_schema/stocks/page.py) needs its SQL fixed once.
            or_(*(po.c.status == status for status in OPEN)),
            line.c.quantity_received.is_(None),
        )
        .group_by(po.c.location_id, line.c.item_type, item_id)
    )


async def incoming_by_key(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Iterable[K]
) -> dict[K, Decimal]:
    """Incoming quantity of each (location, item), keyed by the addresses given."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    statement = _open_lines(merchant_id).where(
        tuple_(
            t.purchase_order.c.location_id,
            t.purchase_order_line.c.item_type,
            func.coalesce(
                t.purchase_order_line.c.inventory_item_id, t.purchase_order_line.c.material_id
            ),
        ).in_([(k.location_id, k.item_type, k.item_id) for k in wanted])
    )
    found = {
        (row.location_id, ItemType(row.item_type), row.item_id): row.incoming
        for row in await session.execute(statement)
    }
    return {k: found.get((k.location_id, k.item_type, k.item_id), ZERO) for k in wanted}


async def incoming_by_stock_id(
    session: AsyncSession, merchant_id: uuid.UUID, stock_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    """Incoming quantity of each stock id; unknown ids and other merchants' stocks get 0."""
    wanted = list(dict.fromkeys(stock_ids))
    if not wanted:
        return {}
    rows = await session.execute(_by_stock_ids(), {"merchant_id": merchant_id, "ids": wanted})
    found = {row.id: row.incoming for row in rows}
    return {stock_id: found.get(stock_id, ZERO) for stock_id in wanted}


def with_incoming(statement: Select[Any], merchant_id: uuid.UUID, label: str) -> Select[Any]:
    """`statement` (stocks) with each stock's incoming quantity as column `label` (0 when
    nothing is incoming): a page that shows it reads it in its own statement, not in a
    second round trip (the same open lines as `incoming_by_stock_id`)."""
    stock = t.stock
    incoming = _open_lines(merchant_id).subquery()
    joined = statement.outerjoin(
        incoming,
        (incoming.c.location_id == stock.c.location_id)
        & (incoming.c.item_type == stock.c.item_type)
        & (incoming.c.item_id == func.coalesce(stock.c.inventory_item_id, stock.c.material_id)),
    )
    return joined.add_columns(func.coalesce(incoming.c.incoming, ZERO).label(label))


@lru_cache(maxsize=1)
def _by_stock_ids() -> Select[tuple[uuid.UUID, Decimal]]:
    """Built once with bound parameters (the ids as one array): a dashboard page asks for
    it on every request, and building and keying the statement anew cost more than it."""
    stock = t.stock
    merchant_id = cast(uuid.UUID, bindparam("merchant_id"))
    incoming = _open_lines(merchant_id).subquery()
    return (
        select(stock.c.id, incoming.c.incoming)
        .join(
            incoming,
            (incoming.c.location_id == stock.c.location_id)
            & (incoming.c.item_type == stock.c.item_type)
            & (incoming.c.item_id == func.coalesce(stock.c.inventory_item_id, stock.c.material_id)),
        )
        .where(
            stock.c.merchant_id == merchant_id,
            stock.c.id == any_(bindparam("ids", type_=ARRAY(Uuid()))),
        )
    )
