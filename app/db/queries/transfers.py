"""Transfer reads: listings (optionally touching one location), lookups, lines per transfer."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id


def transfers_statement(
    merchant_id: uuid.UUID, *, location_id: uuid.UUID | None = None
) -> Select[Any]:
    transfer = t.transfer
    statement = select(transfer).where(transfer.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(
            or_(
                transfer.c.from_location_id == location_id,
                transfer.c.to_location_id == location_id,
            )
        )
    return statement


async def transfers_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.transfer, merchant_id, ids)


async def lines_by_transfer(
    session: AsyncSession, merchant_id: uuid.UUID, transfer_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    wanted = list(dict.fromkeys(transfer_ids))
    if not wanted:
        return {}
    line = t.transfer_line
    statement = (
        select(line)
        .where(line.c.merchant_id == merchant_id, line.c.transfer_id.in_(wanted))
        .order_by(line.c.position, line.c.id)
    )
    found: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in await session.execute(statement):
        found[row.transfer_id].append(row)
    return {transfer_id: found.get(transfer_id, []) for transfer_id in wanted}
