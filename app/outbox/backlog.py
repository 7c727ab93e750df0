"""How far behind the relay is: unsent rows and the age of the oldest, for admins and /metrics.

While Kafka is unreachable rows wait here; this is what tells an operator (and
finance's reconciliation) how much is waiting and since when.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow


@dataclass(frozen=True)
class OutboxBacklog:
    unsent: int
    retrying: int  # unsent rows that failed at least once
    oldest_unsent_at: datetime | None
    measured_at: datetime

    def oldest_unsent_age_seconds(self, now: datetime | None = None) -> float:
        if self.oldest_unsent_at is None:
            return 0.0
        return max(0.0, ((now or utcnow()) - self.oldest_unsent_at).total_seconds())


async def read_backlog(db: AsyncConnection | AsyncSession) -> OutboxBacklog:
    """Counts every merchant's rows: an operator's view, not a tenant's."""
    outbox = t.outbox_event
    statement = select(
        func.count(),
        func.count().filter(outbox.c.attempts > 0),
        func.min(outbox.c.created_at),
        func.now(),
    ).where(outbox.c.sent_at.is_(None))
    unsent, retrying, oldest, now = (await db.execute(statement)).one()
    return OutboxBacklog(int(unsent), int(retrying), oldest, now)


class BacklogCollector(Collector):
    """Prometheus gauges from the latest backlog a relay measured.

    The age is computed at scrape time, so it keeps growing between measurements
    while nothing moves.
    """

    def __init__(self, latest: Callable[[], OutboxBacklog | None]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[Metric]:
        backlog = self._latest()
        if backlog is None:
            return
        yield GaugeMetricFamily(
            "inventory_outbox_backlog_events", "Outbox rows not yet sent", value=backlog.unsent
        )
        yield GaugeMetricFamily(
            "inventory_outbox_retrying_events",
            "Unsent outbox rows that failed at least once",
            value=backlog.retrying,
        )
        yield GaugeMetricFamily(
            "inventory_outbox_oldest_unsent_age_seconds",
            "Age of the oldest unsent outbox row",
            value=backlog.oldest_unsent_age_seconds(),
        )
