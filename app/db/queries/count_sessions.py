"""Count session reads: sessions, their lines with expected and variance, the summary.

A line's expected is on hand at the session's moment: frozen on the line when the
session is applied, read from the ledger (one index probe) before that. Its unit cost
is the material's average unit cost (products have none yet).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, func, literal, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id
from app.db.queries.stock_history import on_hand_before
from app.domain.enums import CountStatus


def sessions_statement(
    merchant_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None = None,
    status: CountStatus | None = None,
) -> Select[Any]:
    counts = t.count_session
    statement = select(counts).where(counts.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(counts.c.location_id == location_id)
    if status is not None:
        statement = statement.where(counts.c.status == status)
    return statement


async def sessions_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.count_session, merchant_id, ids)


@dataclass(frozen=True)
class LineFilter:
    merchant_id: uuid.UUID
    session_id: uuid.UUID
    counted_at: datetime
    uncounted_only: bool = False
    variance_only: bool = False


def lines_statement(where: LineFilter) -> Select[Any]:
    """The session's lines, `id` being the stock id (the page's key): counted, expected,
    variance, unit cost and the COUNT movement once applied."""
    line, material, stock = t.count_line, t.material, t.stock
    probe = on_hand_before(where.merchant_id, line.c.stock_id, literal(where.counted_at)).lateral(
        "at_moment"
    )
    expected = func.coalesce(line.c.expected, probe.c.on_hand_after, 0)
    lines = (
        select(
            line.c.stock_id.label("id"),
            line.c.counted,
            expected.label("expected"),
            (line.c.counted - expected).label("variance"),
            material.c.average_unit_cost.label("unit_cost"),
            line.c.movement_id,
        )
        .select_from(
            line.join(stock, stock.c.id == line.c.stock_id)
            .outerjoin(material, material.c.id == stock.c.material_id)
            .outerjoin(probe, true())
        )
        .where(line.c.merchant_id == where.merchant_id, line.c.session_id == where.session_id)
    )
    if where.uncounted_only:
        lines = lines.where(line.c.counted.is_(None))
    if where.variance_only:
        lines = lines.where(line.c.counted.is_not(None), line.c.counted != expected)
    return lines


@dataclass(frozen=True)
class CountSummary:
    lines_in_scope: int
    lines_counted: int
    lines_with_variance: int
    variance_value: Decimal | None


async def summary(session: AsyncSession, where: LineFilter) -> CountSummary:
    lines = lines_statement(where).subquery()
    varies = and_(lines.c.counted.is_not(None), lines.c.variance != 0)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(lines.c.counted),
                func.count().filter(varies),
                func.sum(lines.c.variance * lines.c.unit_cost),
            )
        )
    ).one()
    return CountSummary(row[0], row[1], row[2], row[3])


async def entries_by_line(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], list[Row[Any]]]:
    """Each (session, stock)'s entries, by area ('' first: no area named)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    entry = t.count_entry
    rows = await session.execute(
        select(entry)
        .where(
            entry.c.merchant_id == merchant_id,
            entry.c.session_id.in_({s for s, _ in wanted}),
            entry.c.stock_id.in_({s for _, s in wanted}),
        )
        .order_by(entry.c.area)
    )
    found: dict[tuple[uuid.UUID, uuid.UUID], list[Row[Any]]] = defaultdict(list)
    for row in rows:
        found[row.session_id, row.stock_id].append(row)
    return {key: found.get(key, []) for key in wanted}
