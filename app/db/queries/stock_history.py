"""Stock history: on hand at a moment, read from the ledger.

Every movement stores the quantities after it, so a stock's on hand at a moment is the
`on_hand_after` of its last movement before that moment: one probe of the index on
(merchant, stock, occurred_at, id), whatever the length of the history. "Before" is
strict: a movement at exactly `at` belongs to what happens from `at` on, the same
half-open [from, to) a period of the usage report has, so the closing of one period is
the opening of the next. No movement before `at`: 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, Select, bindparam, column, func, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db import tables as t

ZERO = Decimal(0)
_uuid = PG_UUID(as_uuid=True)


def on_hand_before(
    merchant_id: ColumnElement[Any] | uuid.UUID,
    stock_id: ColumnElement[Any],
    at: ColumnElement[Any],
) -> Select[Any]:
    """The lateral probe: on hand after the stock's last movement strictly before `at`."""
    ledger = t.stock_movement
    return (
        select(ledger.c.on_hand_after)
        .where(
            ledger.c.merchant_id == merchant_id,
            ledger.c.stock_id == stock_id,
            ledger.c.occurred_at < at,
        )
        .order_by(ledger.c.occurred_at.desc(), ledger.c.id.desc())
        .limit(1)
    )


_KEYS = (
    func.jsonb_to_recordset(bindparam("keys", type_=JSONB))
    .table_valued(column("n", Integer()), column("stock_id", _uuid), column("at", DateTime(True)))
    .render_derived(name="keys", with_types=True)
)
_PROBE = on_hand_before(
    bindparam("merchant_id", type_=_uuid), _KEYS.c.stock_id, _KEYS.c.at
).lateral("last_movement")
ON_HAND_AT = select(_KEYS.c.n, _PROBE.c.on_hand_after).select_from(_KEYS.outerjoin(_PROBE, true()))


async def on_hand_at(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, datetime]]
) -> list[Decimal]:
    """On hand of each (stock, moment), in the order asked: one statement, one probe each."""
    if not keys:
        return []
    payload = [{"n": n, "stock_id": str(s), "at": at.isoformat()} for n, (s, at) in enumerate(keys)]
    rows = await session.execute(ON_HAND_AT, {"keys": payload, "merchant_id": merchant_id})
    found = {row.n: row.on_hand_after for row in rows}
    return [found.get(n) or ZERO for n in range(len(keys))]


async def on_hand_of_stocks_at(
    session: AsyncSession, merchant_id: uuid.UUID, stock_ids: Iterable[uuid.UUID], at: datetime
) -> dict[uuid.UUID, Decimal]:
    """On hand of many stocks at one moment."""
    wanted = list(dict.fromkeys(stock_ids))
    values = await on_hand_at(session, merchant_id, [(s, at) for s in wanted])
    return dict(zip(wanted, values, strict=True))
