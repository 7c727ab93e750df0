"""Keeping the daily ledger totals of settled days (app/domain/ledger_days.py).

Filled on demand: a usage report first has the settled days of its period summed that
were not yet, in one transaction per call (one INSERT … SELECT per run of consecutive
days), so the first report over a month reads the month's movements once and every
later one reads thirty rows per stock. Two reports filling the same day at once write
the same totals; the second's rows are skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.ledger_days import FLOWS
from app.db.queries.ledger_flows import flow_sums
from app.domain.ledger_days import DAY, day_start


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as [first, last] runs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


async def sum_settled_days(
    sessions: async_sessionmaker[AsyncSession],
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    days: Sequence[date],
) -> None:
    """Sum each of `days` (settled days: the caller's split) not summed yet."""
    if not days:
        return
    summed = t.ledger_day_summed
    async with sessions() as session:
        done = set(
            (
                await session.execute(
                    select(summed.c.day).where(
                        summed.c.merchant_id == merchant_id,
                        summed.c.location_id == location_id,
                        summed.c.day.in_(days),
                    )
                )
            ).scalars()
        )
    missing = [d for d in days if d not in done]
    if not missing:
        return
    ledger = t.stock_movement
    day = func.date(func.timezone("UTC", ledger.c.occurred_at))
    async with sessions.begin() as session:
        for first, last in _runs(missing):
            totals = (
                select(
                    ledger.c.merchant_id, ledger.c.location_id, day, ledger.c.stock_id, *flow_sums()
                )
                .where(
                    ledger.c.merchant_id == merchant_id,
                    ledger.c.location_id == location_id,
                    ledger.c.occurred_at >= day_start(first),
                    ledger.c.occurred_at < day_start(last) + DAY,
                )
                .group_by(ledger.c.merchant_id, ledger.c.location_id, day, ledger.c.stock_id)
            )
            await session.execute(
                pg_insert(t.ledger_day)
                .from_select(["merchant_id", "location_id", "day", "stock_id", *FLOWS], totals)
                .on_conflict_do_nothing()
            )
        await session.execute(
            pg_insert(summed)
            .values(
                [
                    {"merchant_id": merchant_id, "location_id": location_id, "day": d}
                    for d in missing
                ]
            )
            .on_conflict_do_nothing()
        )
