"""Shared shapes of the read queries: rows by id within a merchant, text search."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession


async def rows_by_id(
    session: AsyncSession, table: Table, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """Rows of `table` with these ids that belong to the merchant; others are absent."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    statement = select(table).where(table.c.merchant_id == merchant_id, table.c.id.in_(wanted))
    return {row.id: row for row in await session.execute(statement)}


def contains_text(term: str, *columns: ColumnElement[Any]) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of the columns (% and _ taken literally)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))
