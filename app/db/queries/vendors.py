"""Vendor reads: listings with search and lookups by id, within one merchant."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import contains_text, rows_by_id


def vendors_statement(merchant_id: uuid.UUID, *, search: str | None = None) -> Select[Any]:
    vendor = t.vendor
    statement = select(vendor).where(vendor.c.merchant_id == merchant_id)
    if search:
        statement = statement.where(
            contains_text(search, vendor.c.name, vendor.c.tax_id, vendor.c.email)
        )
    return statement


async def vendors_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.vendor, merchant_id, ids)
