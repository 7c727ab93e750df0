"""The consumer loop: at-least-once delivery in, exactly-once effect out.

A batch from `getmany` is handled partition by partition: partitions in parallel
(up to `concurrency`), the messages of one partition strictly in order, in one
database transaction for a topic with a `BatchHandler`, else each in its own (see
`Delivery`). Only then is `offset + 1` of every handled message committed. A crash
between the two re-delivers messages whose effect is already stored; the ledger's
unique key makes that second pass a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from app.db.unit_of_work import UnitOfWork
from app.kafka.client import create_consumer, create_producer
from app.settings import Settings
from consumers.dead_letters import DeadLetterPublisher
from consumers.delivery import Delivery
from consumers.failures import RetryPolicy
from consumers.messages import Handler, InboundMessage
from consumers.metrics import ConsumerMetrics, default_metrics

log = logging.getLogger(__name__)

# Called with the offsets about to be committed (tests crash there) and with those
# just committed (the benchmark times the last commit).
CommitHook = Callable[[Mapping[TopicPartition, int]], Awaitable[None]]


@dataclass(frozen=True)
class RunnerOptions:
    group_id: str | None = None  # default: KAFKA_CONSUMER_GROUP
    concurrency: int = 4  # partitions handled at the same time
    max_batch: int = 100  # records per partition and batch
    poll_timeout: float = 0.5
    # How long a rebalance waits for in-flight messages before abandoning them
    # (uncommitted, so the next owner handles them); below the rebalance timeout.
    revoke_grace: float = 20.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    consumer_options: Mapping[str, Any] = field(default_factory=dict)
    # For a process that is only this consumer (`inventory consume`): once started,
    # what is alive (modules, table metadata, the pools) lives as long as the process;
    # frozen, the collector stops re-scanning it in every full collection the message
    # path triggers (~0.1 ms of CPU a payment, measured in process). Off where the
    # process has other lives (tests, `inventory dev`): frozen objects are never freed.
    freeze_heap_after_start: bool = False


class ConsumerRunner:
    """Consume the handlers' topics in one consumer group until `stop()`."""

    def __init__(
        self,
        settings: Settings,
        sessions: UnitOfWork,
        handlers: Mapping[str, Handler],
        *,
        options: RunnerOptions | None = None,
        metrics: ConsumerMetrics | None = None,
        before_commit: CommitHook | None = None,
        after_commit: CommitHook | None = None,
    ) -> None:
        if not handlers:
            raise ValueError("a consumer needs at least one topic handler")
        self._settings = settings
        self._sessions = sessions
        self._handlers = dict(handlers)
        self._options = options or RunnerOptions()
        self._metrics = metrics or default_metrics()
        self._before_commit = before_commit
        self._after_commit = after_commit
        self._group = self._options.group_id or settings.kafka_consumer_group
        self._stopping = asyncio.Event()
        self._commit_lock = asyncio.Lock()
        self._uncommitted: dict[TopicPartition, int] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._inflight: asyncio.Task[None] | None = None
        self._consumer: Any = None
        self._delivery: Delivery | None = None
        self.assigned = asyncio.Event()  # set while partitions are assigned

    @property
    def topics(self) -> list[str]:
        return sorted(self._handlers)

    @property
    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this instance owns right now."""
        if self._consumer is None:
            return frozenset()
        return frozenset(self._consumer.assignment())

    def stop(self) -> None:
        """Finish the current batch, commit it, leave the group (safe from a signal handler)."""
        self._stopping.set()

    async def run(self) -> None:
        producer = create_producer(self._settings)
        await producer.start()
        try:
            self._delivery = Delivery(
                self._sessions,
                self._handlers,
                DeadLetterPublisher(producer, group=self._group),
                self._metrics,
                self._options.retry,
                self._stopping,
            )
            consumer = create_consumer(
                self._settings, group_id=self._group, **dict(self._options.consumer_options)
            )
            self._consumer = consumer
            consumer.subscribe(self.topics, listener=_RebalanceListener(self))
            try:
                await consumer.start()
                if self._options.freeze_heap_after_start:
                    gc.freeze()
                log.info("consuming", extra={"topics": self.topics, "group": self._group})
                await self._loop()
                await self._commit()
            finally:
                await self._abandon_inflight()
                # Leaves the group, so the partitions move on without waiting for a timeout.
                await consumer.stop()
        finally:
            await producer.stop()
        log.info("consumer stopped", extra={"group": self._group})

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            batch = await self._fetch()
            if batch:
                await self._run_batch(batch)
            self._record_lag()

    async def _fetch(self) -> dict[TopicPartition, list[Any]]:
        """Up to `max_batch` records of every partition with fetched data.

        One getmany per partition: a single getmany drains partitions one after the
        other up to its limit, which would hand the batch to one partition at a time.
        """
        limit = self._options.max_batch
        batch: dict[TopicPartition, list[Any]] = {}
        for tp in self._consumer.assignment():
            batch.update(await self._consumer.getmany(tp, timeout_ms=0, max_records=limit))
        if batch:
            return batch
        timeout_ms = int(self._options.poll_timeout * 1000)
        waited: dict[TopicPartition, list[Any]] = await self._consumer.getmany(
            timeout_ms=timeout_ms, max_records=limit
        )
        return waited

    async def _run_batch(self, batch: Mapping[TopicPartition, Sequence[Any]]) -> None:
        # Set before any await, so a rebalance always sees the batch it must wait for.
        task = asyncio.create_task(self._handle_batch(batch))
        self._inflight = task
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            # Killed: the unfinished messages stay uncommitted and come back.
            task.cancel()
            await asyncio.wait({task})
            raise
        finally:
            if self._inflight is task:
                self._inflight = None
        if task.cancelled():
            log.warning("a rebalance abandoned an unfinished batch; its owner will redo it")
            return
        task.result()
        await self._commit()

    async def _handle_batch(self, batch: Mapping[TopicPartition, Sequence[Any]]) -> None:
        slots = asyncio.Semaphore(self._options.concurrency)
        delivery = self._delivery
        assert delivery is not None

        async def handle_partition(tp: TopicPartition, records: Sequence[Any]) -> None:
            def finished(count: int) -> None:
                # Only messages applied or dead-lettered, in order: the rest come back.
                if count:
                    self._uncommitted[tp] = self._positions[tp] = records[count - 1].offset + 1

            async with slots:
                messages = [InboundMessage.from_record(record) for record in records]
                await delivery.deliver_all(messages, finished)

        async with asyncio.TaskGroup() as group:
            for tp, records in batch.items():
                group.create_task(handle_partition(tp, records))

    async def _commit(self) -> None:
        async with self._commit_lock:
            assigned = self._consumer.assignment()
            offsets = {tp: o for tp, o in self._uncommitted.items() if tp in assigned}
            for tp in set(self._uncommitted) - set(offsets):
                del self._uncommitted[tp]  # revoked: its new owner redoes these, as no-ops
            if not offsets:
                return
            if self._before_commit is not None:
                await self._before_commit(offsets)
            try:
                await self._consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError) as exc:
                # The group moved on: another member (or we, after re-joining) handles
                # these messages again from the last commit, and their effects are
                # already stored, so that pass is a no-op. Nothing to retry here.
                self._metrics.commit_failures.inc()
                log.warning("offset commit refused after a rebalance", extra={"error": repr(exc)})
                committed = False
            except KafkaError as exc:
                # Keep the offsets: the next commit carries them.
                log.warning("offset commit failed, will retry", extra={"error": repr(exc)})
                return
            else:
                committed = True
            for tp, offset in offsets.items():
                if self._uncommitted.get(tp) == offset:
                    del self._uncommitted[tp]
            if committed and self._after_commit is not None:
                await self._after_commit(offsets)

    def _record_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            position = self._positions.get(tp)
            if highwater is not None and position is not None:
                self._metrics.lag.labels(tp.topic, str(tp.partition)).set(highwater - position)

    async def _finish_inflight(self) -> None:
        """Let the batch in flight finish (or give it up after the grace), then commit it."""
        task = self._inflight
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=self._options.revoke_grace)
            if not done:
                task.cancel()
                await asyncio.wait({task})
        await self._commit()

    async def _abandon_inflight(self) -> None:
        task, self._inflight = self._inflight, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})

    def _forget(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self._positions.pop(tp, None)
            with contextlib.suppress(KeyError):
                self._metrics.lag.remove(tp.topic, str(tp.partition))


class _RebalanceListener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._runner.assigned.clear()
        await self._runner._finish_inflight()
        self._runner._forget(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            self._runner.assigned.set()
        log.info("partitions assigned", extra={"partitions": sorted(map(str, assigned))})
