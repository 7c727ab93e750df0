"""Ledger reads: movements filtered by stock, location, type, reference and time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, Select, Uuid, any_, bindparam, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id, uuid_array
from app.db.queries.keyset import (
    KeysetPage,
    KeysetResult,
    PageShape,
    bound_page,
    keyset_params,
    keyset_result,
)
from app.domain.enums import MovementType, ReferenceType


@dataclass(frozen=True)
class MovementFilter:
    stock_id: uuid.UUID | None = None
    location_id: uuid.UUID | None = None
    type: MovementType | None = None
    reference_type: ReferenceType | None = None
    reference_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def movements_statement(merchant_id: uuid.UUID, where: MovementFilter) -> Select[Any]:
    movement = t.stock_movement
    statement = select(movement).where(movement.c.merchant_id == merchant_id)
    if where.stock_id is not None:
        statement = statement.where(movement.c.stock_id == where.stock_id)
    if where.location_id is not None:
        statement = statement.where(movement.c.location_id == where.location_id)
    if where.type is not None:
        statement = statement.where(movement.c.type == where.type)
    if where.reference_type is not None:
        statement = statement.where(movement.c.reference_type == where.reference_type)
    if where.reference_id is not None:
        statement = statement.where(movement.c.reference_id == where.reference_id)
    if where.since is not None:
        statement = statement.where(movement.c.occurred_at >= where.since)
    if where.until is not None:
        statement = statement.where(movement.c.occurred_at < where.until)
    return statement


async def movements_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.stock_movement, merchant_id, ids)


async def movement_counts(
    session: AsyncSession, merchant_id: uuid.UUID, stock_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many movements each stock has (0 for none): the totalCount of each stock's
    movements, for a page of stocks in one statement."""
    movement = t.stock_movement
    wanted = list(dict.fromkeys(stock_ids))
    statement = (
        select(movement.c.stock_id, func.count())
        .where(
            movement.c.merchant_id == bindparam("merchant_id", type_=Uuid),
            movement.c.stock_id == any_(uuid_array("stock_ids")),
        )
        .group_by(movement.c.stock_id)
    )
    rows = await session.execute(statement, {"merchant_id": merchant_id, "stock_ids": wanted})
    found: dict[uuid.UUID, int] = {row[0]: row[1] for row in rows}
    return {stock_id: found.get(stock_id, 0) for stock_id in wanted}


async def movements_pages(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    stock_ids: list[uuid.UUID],
    page: KeysetPage,
) -> dict[uuid.UUID, KeysetResult]:
    """The same page of each stock's movements (as `movements_statement` filtered by the
    stock and `fetch_page` read it), all in one statement: a page of stocks asking for
    their movements costs one round trip, not one per stock."""
    found: dict[uuid.UUID, list[Any]] = {stock_id: [] for stock_id in stock_ids}
    parameters = {"merchant_id": merchant_id, "stock_ids": list(found), **keyset_params(page)}
    for row in await session.execute(_pages_statement(page.shape), parameters):
        found[row.stock_id].append(row)
    return {stock_id: keyset_result(rows, page) for stock_id, rows in found.items()}


@lru_cache(maxsize=8)
def _pages_statement(shape: PageShape) -> Select[Any]:
    # Built once per shape, its values bound (SQLAlchemy then finds it in its cache).
    movement = t.stock_movement
    parent = func.unnest(uuid_array("stock_ids")).table_valued("id").render_derived("parent")
    one_stock = bound_page(
        select(movement).where(
            movement.c.merchant_id == bindparam("merchant_id", type_=Uuid),
            movement.c.stock_id == parent.c.id,
        ),
        movement.c.id,
        shape,
    ).lateral("page")
    # Each stock's rows in the page's order (the outer order keeps the lateral's).
    order = one_stock.c.id.desc() if shape.backward else one_stock.c.id.asc()
    return select(one_stock).select_from(parent.join(one_stock, true())).order_by(order)
