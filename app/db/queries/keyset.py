"""Keyset pages over time-ordered UUIDv7 ids: stable under inserts, no OFFSET scans."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class KeysetPage:
    """`limit` rows after `after` (or before `before`, counting back from the end)."""

    limit: int
    after: uuid.UUID | None = None
    before: uuid.UUID | None = None
    backward: bool = False


@dataclass(frozen=True)
class KeysetResult:
    rows: list[Row[Any]]  # always in ascending id order
    has_more: bool  # more rows beyond the page in the direction of travel


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    id_column: ColumnElement[uuid.UUID],
    page: KeysetPage,
) -> KeysetResult:
    """One page of `statement` (already filtered by merchant) in id order."""
    if page.after is not None:
        statement = statement.where(id_column > page.after)
    if page.before is not None:
        statement = statement.where(id_column < page.before)
    order = id_column.desc() if page.backward else id_column.asc()
    rows = list((await session.execute(statement.order_by(order).limit(page.limit + 1))).all())
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
    return KeysetResult(rows, has_more)


async def count_rows(session: AsyncSession, statement: Select[Any]) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int((await session.execute(counted)).scalar_one())
