"""What the services that edit a merchant's own rows (locations, materials) share:
find and lock the row by id, change some of its fields, archive it.

Another merchant's id behaves exactly like an unknown one (NOT_FOUND at ("id",)); an
archived row stays, with everything that refers to it, and takes no new writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models.base import utcnow
from app.domain.errors import ProblemCollector, UserErrorCode

ID_FIELD = ("id",)


async def lock_owned(
    session: AsyncSession,
    table: Table,
    merchant_id: uuid.UUID,
    row_id: uuid.UUID,
    problems: ProblemCollector,
    *columns: str,
) -> Row[Any] | None:
    """Lock the merchant's row FOR UPDATE and read `columns` of it; None, with NOT_FOUND
    added, when it is not the merchant's.

    FOR UPDATE also waits for, and then blocks, rows being inserted that reference it
    (their foreign key check takes FOR KEY SHARE), so what the caller checks next about
    its users stays true until commit.
    """
    row = (
        await session.execute(
            select(*(table.c[name] for name in columns or ("id",)))
            .where(table.c.merchant_id == merchant_id, table.c.id == row_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        problems.add(UserErrorCode.NOT_FOUND, f"no such {table.name}", ID_FIELD)
    return row


async def update_owned(
    session: AsyncSession, table: Table, row_id: uuid.UUID, values: Mapping[str, Any]
) -> None:
    """Set `values` on the (locked) row, and its updated_at."""
    await session.execute(
        update(table).where(table.c.id == row_id).values(**values, updated_at=utcnow())
    )


async def archive_owned(session: AsyncSession, table: Table, row_id: uuid.UUID) -> None:
    """Archive the (locked) row; an archived one is left as it is (archiving twice is fine)."""
    await session.execute(
        update(table)
        .where(table.c.id == row_id, table.c.archived.is_(False))
        .values(archived=True, updated_at=utcnow())
    )
