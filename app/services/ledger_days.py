"""Settling the ledger's days: the daily totals (app/domain/ledger_days.py) a usage report
sums instead of every movement, written off the read path.

A small periodic task of each serving process (`settling_ledger_days`, in the ASGI
lifespan) sums, per location with movements, every settled day after the last one it
summed (at most `lookback_days` back), one transaction per day; a usage report only
reads them, and computes the days not summed yet from the movements in its own read
without keeping them (app/db/queries/usage.py). So a report never writes, and its
first run over a month is as fast as the next once the task has run.

A day's transaction holds an advisory lock on its location and checks again that the
day is not summed, so two processes settling at once sum each day once. A day's totals
hold its on-time movements only: a late payment committing into a summed day is read
apart by every report (the late sales' index), so it is neither missed nor counted
twice, whichever commits first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow
from app.db.models.ledger_days import FLOWS
from app.db.queries.ledger_flows import counted_on_time, flow_sums
from app.db.unit_of_work import UnitOfWork
from app.domain.ledger_days import DAY, day_start, last_settled_day
from app.services.periodic import PeriodicJob, running

log = logging.getLogger(__name__)

_ledger, _summed = t.stock_movement, t.ledger_day_summed


@dataclass
class SettleStats:
    days: int = 0
    runs: int = 0


def _lock_key(merchant_id: uuid.UUID, location_id: uuid.UUID) -> str:
    return f"ledger-days:{merchant_id}:{location_id}"


async def _is_summed(
    session: AsyncSession, merchant_id: uuid.UUID, location_id: uuid.UUID, day: date
) -> bool:
    found = await session.execute(
        select(_summed.c.day).where(
            _summed.c.merchant_id == merchant_id,
            _summed.c.location_id == location_id,
            _summed.c.day == day,
        )
    )
    return found.first() is not None


async def sum_day(
    uow: UnitOfWork, merchant_id: uuid.UUID, location_id: uuid.UUID, day: date
) -> bool:
    """Sum one settled day of a location into ledger_day, unless it already is; True
    when this call summed it. The caller makes sure the day is settled."""
    async with uow.transaction(lock_keys=[_lock_key(merchant_id, location_id)]) as session:
        if await _is_summed(session, merchant_id, location_id, day):
            return False
        totals = (
            select(
                _ledger.c.merchant_id,
                _ledger.c.location_id,
                literal(day, Date),
                _ledger.c.stock_id,
                *flow_sums(),
            )
            .where(
                _ledger.c.merchant_id == merchant_id,
                _ledger.c.location_id == location_id,
                counted_on_time([(day_start(day), day_start(day) + DAY)]),
            )
            .group_by(_ledger.c.merchant_id, _ledger.c.location_id, _ledger.c.stock_id)
        )
        await session.execute(
            pg_insert(t.ledger_day).from_select(
                ["merchant_id", "location_id", "day", "stock_id", *FLOWS], totals
            )
        )
        await session.execute(
            pg_insert(_summed).values(merchant_id=merchant_id, location_id=location_id, day=day)
        )
    return True


async def _days_to_settle(
    uow: UnitOfWork, now: datetime, lookback_days: int
) -> list[tuple[uuid.UUID, uuid.UUID, date, date]]:
    """Per location with movements: the first and last settled day not summed yet."""
    last = last_settled_day(now)
    oldest = last - timedelta(days=lookback_days - 1)
    async with uow.read_sessions()() as session:
        done = (
            select(
                _summed.c.merchant_id, _summed.c.location_id, func.max(_summed.c.day).label("day")
            )
            .group_by(_summed.c.merchant_id, _summed.c.location_id)
            .subquery("done")
        )
        stocks = select(t.stock.c.merchant_id, t.stock.c.location_id).distinct().subquery("stocks")
        first_moved = (
            select(func.min(_ledger.c.occurred_at))
            .where(
                _ledger.c.merchant_id == stocks.c.merchant_id,
                _ledger.c.location_id == stocks.c.location_id,
            )
            .scalar_subquery()
        )
        rows = await session.execute(
            select(stocks.c.merchant_id, stocks.c.location_id, done.c.day, first_moved).select_from(
                stocks.outerjoin(
                    done,
                    (done.c.merchant_id == stocks.c.merchant_id)
                    & (done.c.location_id == stocks.c.location_id),
                )
            )
        )
        wanted = []
        for merchant_id, location_id, summed_to, moved_at in rows:
            if moved_at is None:
                continue  # no movement yet: nothing to sum
            first = max(oldest, moved_at.date())
            if summed_to is not None:
                first = max(first, summed_to + timedelta(days=1))
            if first <= last:
                wanted.append((merchant_id, location_id, first, last))
    return wanted


async def settle_ledger_days(
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
    lookback_days: int = 366,
    stats: SettleStats | None = None,
) -> int:
    """Sum every settled day not summed yet of every location with movements, oldest
    first, at most `lookback_days` back; returns how many days this call summed."""
    stats = stats if stats is not None else SettleStats()
    summed = 0
    for merchant_id, location_id, first, last in await _days_to_settle(
        uow, now or utcnow(), lookback_days
    ):
        day = first
        while day <= last:
            if await sum_day(uow, merchant_id, location_id, day):
                summed += 1
                stats.days += 1
            day += timedelta(days=1)
            await asyncio.sleep(0)  # a long backlog leaves room for the rest of the process
    return summed


class LedgerDaySettler:
    """Settles the ledger's days every `interval` seconds, until stopped."""

    def __init__(
        self, uow: UnitOfWork, interval: float, lookback_days: int, first_delay: float
    ) -> None:
        self._uow, self._lookback = uow, lookback_days
        self.stats = SettleStats()
        self.job = PeriodicJob("settling ledger days", self._settle, interval, first_delay)

    def start(self) -> None:
        self.job.start()

    async def stop(self) -> None:
        await self.job.stop()

    async def _settle(self) -> None:
        try:
            summed = await settle_ledger_days(
                self._uow, lookback_days=self._lookback, stats=self.stats
            )
        finally:
            self.stats.runs += 1
        if summed:
            log.info("ledger days settled", extra={"days": summed})


@contextlib.asynccontextmanager
async def settling_ledger_days(
    uow: UnitOfWork, interval: float, lookback_days: int, first_delay: float | None = None
) -> AsyncIterator[LedgerDaySettler]:
    """A running settler for the duration of the block (its first run `first_delay`
    after it starts: an interval unless told, as the idempotency key pruner: a starting
    process has better to do, and reports read days not summed yet meanwhile)."""
    first = interval if first_delay is None else first_delay
    settler = LedgerDaySettler(uow, interval, lookback_days, first)
    async with running(settler.job):
        yield settler
