"""Material reads: listings with search and lookups by id, within one merchant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import contains_text, rows_by_id


def materials_statement(
    merchant_id: uuid.UUID, *, search: str | None = None, include_archived: bool = False
) -> Select[Any]:
    material = t.material
    statement = select(material).where(material.c.merchant_id == merchant_id)
    if not include_archived:
        statement = statement.where(material.c.archived.is_(False))
    if search:
        statement = statement.where(contains_text(search, material.c.name, material.c.sku))
    return statement


async def materials_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.material, merchant_id, ids)
