"""Ledger reads: movements filtered by stock, location, type, reference and time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id
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
