"""The outbox relay: publishes committed outbox rows to Kafka, in per-key order, losing none.

Delivery, as producers and consumers should understand it:

- **After commit only.** Rows are written in the transaction of their change
  (`app/outbox/writer.py`); the relay only ever sees committed rows.
- **At least once.** A batch is claimed, published with acks=all, and marked
  sent in one database transaction, after every acknowledgement of the batch
  arrived. If the relay dies (or the database connection drops) between the
  broker's acknowledgement and that commit, the rows are still unsent and are
  published again: **duplicates on the wire are possible**, and consumers
  deduplicate by `eventId` or by the key the contract names (a stock's
  `version`, a purchase order's `receiptId`...). This holds with or without the
  idempotent producer (KAFKA_ENABLE_IDEMPOTENCE), which only removes the
  producer's own retry duplicates. Two relays running at once do not publish a
  row twice in the normal case (rows are locked while being published).
- **Per-key order.** A row is not published while an older unsent row of its
  (topic, key) exists, wherever that row is (locked by another relay, waiting
  for its retry); see `claims.py` for how claiming guarantees it. Within a
  batch, a row is only marked sent when every older row of its key in the
  batch was acknowledged too, so the sent rows of a key are always a prefix
  and a failure is followed by a resend of what came after it.
- **Failures keep the row.** A failed row gets attempts + 1, its last error and
  a next attempt time (exponential backoff with jitter, capped); nothing is
  rolled back and nothing is dropped. While the broker is unreachable the
  producer is dropped and re-created with its own backoff (a long outage or a
  restarted broker leaves a producer with stale connections and metadata), and
  rows are not touched at all: they wait, and `backlog.py` shows how many and
  since when.
- **Prompt.** The relay LISTENs on `inventory_outbox` (`wakeup.py`) and polls
  every `poll_interval` as a fallback; sent rows older than `prune_after` are
  deleted every `prune_every` seconds.
- **Graceful stop.** `stop()` lets the batch in flight finish (published and
  marked) before `run()` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db.listen_connections import Backoff
from app.db.models.base import utcnow
from app.outbox.backlog import OutboxBacklog, read_backlog
from app.outbox.claims import (
    ClaimedEvent,
    claim_batch,
    mark_sent,
    prune_sent,
    record_failures,
)
from app.outbox.outcomes import settle
from app.outbox.publisher import Acked, Publisher
from app.outbox.wakeup import OutboxListener
from app.settings import Settings

log = logging.getLogger(__name__)

# Called with a published batch before it is marked sent (tests use it to crash in that window).
BeforeMark = Callable[[Sequence[ClaimedEvent]], Awaitable[None]]


@dataclass(frozen=True)
class RelayOptions:
    """Seconds unless named otherwise. `from_settings` reads the OUTBOX_* settings.

    batch_size: rows claimed, published and marked per transaction; poll_interval:
    longest idle wait without a notification; retry_base/retry_max: a failed row's
    backoff; prune_after/prune_every/prune_chunk: deleting old sent rows;
    request_timeout: the producer's; reconnect_max: longest pause between attempts
    to reach the broker or the database; backlog_every: how often `backlog` is read.
    """

    batch_size: int = 500
    poll_interval: float = 1.0
    retry_base: float = 0.5
    retry_max: float = 60.0
    prune_after: timedelta = timedelta(hours=72)
    prune_every: float = 600.0
    prune_chunk: int = 5000
    request_timeout: float = 10.0
    reconnect_max: float = 5.0
    backlog_every: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RelayOptions:
        options = cls(
            batch_size=settings.outbox_batch_size,
            poll_interval=settings.outbox_poll_interval_seconds,
            retry_base=settings.outbox_retry_base_seconds,
            retry_max=settings.outbox_retry_max_seconds,
            prune_after=timedelta(hours=settings.outbox_prune_after_hours),
            prune_every=settings.outbox_prune_interval_seconds,
        )
        return replace(options, **overrides)


@dataclass(frozen=True)
class BatchReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0


@dataclass
class RelayStats:
    batches: int = 0
    published: int = 0
    failed: int = 0
    pruned: int = 0


@dataclass
class _Timers:
    next_prune: float = 0.0
    next_backlog: float = 0.0


class OutboxRelay:
    """One relay loop. Run as many as you like, in one process or many."""

    def __init__(
        self,
        engine: AsyncEngine,
        publisher: Publisher,
        options: RelayOptions | None = None,
        *,
        listen_dsn: str | None = None,
        before_mark: BeforeMark | None = None,
    ) -> None:
        self.engine = engine
        self.publisher = publisher
        self.options = options or RelayOptions()
        self.stats = RelayStats()
        self.backlog: OutboxBacklog | None = None
        self._before_mark = before_mark
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._listener = OutboxListener(listen_dsn, self._wake) if listen_dsn else None
        self._timers = _Timers()
        self._connection: AsyncConnection | None = None

    @property
    def listening(self) -> asyncio.Event:
        """Set while the LISTEN connection is up (never, without one)."""
        return self._listener.connected if self._listener else asyncio.Event()

    def stop(self) -> None:
        """Ask `run()` to return once the batch in flight is marked."""
        self._stopped.set()
        self._wake.set()

    async def run(self) -> None:
        listener = asyncio.create_task(self._listener.run()) if self._listener else None
        reconnect = Backoff(0.2, self.options.reconnect_max)
        database = Backoff(0.2, self.options.reconnect_max)
        try:
            while not self._stopped.is_set():
                await self._housekeeping()
                if not self.publisher.ready and not await self._connect(reconnect):
                    continue
                self._wake.clear()
                try:
                    report = await self.relay_batch()
                except Exception:
                    log.exception("outbox relay batch failed; rows stay unsent")
                    await self._pause(database.next())
                    continue
                database.reset()
                if report.claimed < self.options.batch_size or report.sent == 0:
                    await self._idle(self.options.poll_interval)
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            await self.close()

    async def relay_batch(self) -> BatchReport:
        """Claim, publish, await every acknowledgement, then mark — one transaction."""
        connection = await self._claiming_connection()
        try:
            async with connection.begin():
                events = await claim_batch(connection, self.options.batch_size)
                if not events:
                    return BatchReport()
                outcomes = await self.publisher.publish(events)
                if self._before_mark is not None:
                    await self._before_mark(events)
                sent, failed = settle(
                    events,
                    outcomes,
                    retry_base=self.options.retry_base,
                    retry_max=self.options.retry_max,
                )
                await mark_sent(connection, sent)
                await record_failures(connection, failed)
        except BaseException:
            await self._drop_connection()
            raise
        if not any(isinstance(o, Acked) for o in outcomes):
            # Nothing got through: a fresh producer (and fresh metadata) on the next round.
            log.warning("outbox batch not acknowledged; reconnecting", extra={"rows": len(events)})
            await self.publisher.reset()
        self.stats.batches += 1
        self.stats.published += len(sent)
        self.stats.failed += len(failed)
        return BatchReport(len(events), len(sent), len(failed))

    async def close(self) -> None:
        """Release the producer and the database connection (`run()` does this itself)."""
        await self.publisher.close()
        await self._drop_connection()

    async def _claiming_connection(self) -> AsyncConnection:
        """One connection kept across batches: no pool checkout or pre-ping per batch.

        It commits without waiting for the WAL flush: a mark lost to a database
        crash only means its batch is published again, which consumers already
        tolerate. The connection is discarded, never returned to the pool, so
        the setting cannot leak to other users of the engine.
        """
        if self._connection is None or self._connection.closed:
            connection = await self.engine.connect()
            try:
                await connection.exec_driver_sql("SET synchronous_commit = off")
                await connection.commit()
            except BaseException:
                await _discard(connection)
                raise
            self._connection = connection
        return self._connection

    async def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await _discard(connection)

    async def prune(self) -> int:
        """Delete rows sent more than `prune_after` ago, in chunks of short transactions."""
        cutoff = utcnow() - self.options.prune_after
        total = 0
        while True:
            async with self.engine.begin() as connection:
                deleted = await prune_sent(connection, cutoff, limit=self.options.prune_chunk)
            total += deleted
            if deleted < self.options.prune_chunk or self._stopped.is_set():
                break
        self.stats.pruned += total
        return total

    async def refresh_backlog(self) -> OutboxBacklog:
        async with self.engine.connect() as connection:
            self.backlog = await read_backlog(connection)
        return self.backlog

    async def _housekeeping(self) -> None:
        now = asyncio.get_running_loop().time()
        try:
            if now >= self._timers.next_prune:
                self._timers.next_prune = now + self.options.prune_every
                if pruned := await self.prune():
                    log.info("pruned sent outbox rows", extra={"rows": pruned})
            if now >= self._timers.next_backlog:
                self._timers.next_backlog = now + self.options.backlog_every
                await self.refresh_backlog()
        except Exception:
            log.exception("outbox housekeeping failed")

    async def _connect(self, backoff: Backoff) -> bool:
        try:
            await self.publisher.connect()
        except Exception as exc:
            delay = backoff.next()
            # Shown rounded once, so the message and the field say the same wait.
            shown = round(delay, 1)
            log.warning(
                "Kafka unreachable; outbox rows wait, retrying in %.1f s",
                shown,
                extra={"error": str(exc), "retryInSeconds": shown},
            )
            await self._pause(delay)
            return False
        backoff.reset()
        return True

    async def _pause(self, seconds: float) -> None:
        """Wait, ignoring new rows (there is no point hurrying), unless asked to stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)


async def _discard(connection: AsyncConnection) -> None:
    with contextlib.suppress(Exception):
        await connection.invalidate()
    with contextlib.suppress(Exception):
        await connection.close()


@dataclass
class RelayHandle:
    """A relay running as a task of the current event loop."""

    relay: OutboxRelay
    task: asyncio.Task[None] = field(repr=False)

    @classmethod
    def start(cls, relay: OutboxRelay) -> RelayHandle:
        return cls(relay, asyncio.create_task(relay.run(), name="outbox-relay"))

    async def stop(self, grace_seconds: float = 20.0) -> None:
        """Finish the batch in flight; cancel if that takes longer than `grace_seconds`."""
        self.relay.stop()
        await asyncio.wait({self.task}, timeout=grace_seconds)
        if not self.task.done():
            self.task.cancel()
            await asyncio.wait({self.task})
        if not self.task.cancelled() and (error := self.task.exception()) is not None:
            log.error("outbox relay ended with an error", exc_info=error)
