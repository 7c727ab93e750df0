"""Location reads for the API: listings and lookups by id, always within one merchant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id


def locations_statement(merchant_id: uuid.UUID, *, include_archived: bool = False) -> Select[Any]:
    statement = select(t.location).where(t.location.c.merchant_id == merchant_id)
    if not include_archived:
        statement = statement.where(t.location.c.archived.is_(False))
    return statement


async def locations_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.location, merchant_id, ids)
