"""Idempotency keys are kept for a retention period, then pruned in the background.

As Stripe does: a key is kept at least IDEMPOTENCY_KEY_RETENTION_HOURS (24) after its
first use, and a key reused after it was pruned is a new request. Without pruning the
table grows with every write forever.

Pruning deletes expired keys `batch_size` at a time, each batch its own short
transaction that takes only rows no one else holds (SKIP LOCKED): a write claiming a key
never waits behind a batch, and a batch never waits behind a write. Between batches the
task yields to the rest of the process, so a large backlog (after downtime, say) is
worked off without holding a connection or a lock for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.db.models.base import utcnow
from app.services.periodic import PeriodicJob, running

log = logging.getLogger(__name__)

PRUNE_BATCH_SIZE = 1000

_keys = t.idempotency_key


@dataclass
class PruneStats:
    pruned: int = 0
    batches: int = 0
    runs: int = 0


async def prune_expired_keys(
    engine: AsyncEngine,
    *,
    created_before: datetime,
    batch_size: int = PRUNE_BATCH_SIZE,
    stats: PruneStats | None = None,
) -> int:
    """Delete every key first used before `created_before`, in batches; returns how many."""
    stats = stats if stats is not None else PruneStats()
    pruned = 0
    while True:
        doomed = (
            select(_keys.c.merchant_id, _keys.c.key)
            .where(_keys.c.created_at < created_before)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        async with engine.begin() as connection:
            result = await connection.execute(
                delete(_keys).where(tuple_(_keys.c.merchant_id, _keys.c.key).in_(doomed))
            )
        deleted = int(result.rowcount)
        pruned += deleted
        stats.pruned += deleted
        stats.batches += 1
        if deleted < batch_size:
            return pruned
        await asyncio.sleep(0)


class IdempotencyKeyPruner:
    """Prunes keys older than `retention` every `interval` seconds, until stopped; the
    first run an interval after start (a starting process, or a fleet of them, has better
    to do)."""

    def __init__(
        self,
        engine: AsyncEngine,
        retention: timedelta,
        interval: float,
        *,
        batch_size: int = PRUNE_BATCH_SIZE,
    ) -> None:
        self._engine = engine
        self._retention = retention
        self._batch_size = batch_size
        self.stats = PruneStats()
        self.job = PeriodicJob("idempotency key pruning", self._prune, interval, interval)

    def start(self) -> None:
        self.job.start()

    async def stop(self) -> None:
        await self.job.stop()

    async def _prune(self) -> None:
        try:
            pruned = await prune_expired_keys(
                self._engine,
                created_before=utcnow() - self._retention,
                batch_size=self._batch_size,
                stats=self.stats,
            )
        finally:
            self.stats.runs += 1
        if pruned:
            log.info("pruned expired idempotency keys", extra={"pruned": pruned})


@contextlib.asynccontextmanager
async def pruning_idempotency_keys(
    engine: AsyncEngine, retention: timedelta, interval: float
) -> AsyncIterator[IdempotencyKeyPruner]:
    """A running pruner for the duration of the block."""
    pruner = IdempotencyKeyPruner(engine, retention, interval)
    async with running(pruner.job):
        yield pruner
