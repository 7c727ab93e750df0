"""The generic runner with a recording handler: order, commits, dead letters, retries."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.errors import DomainError, UserErrorCode
from app.settings import Settings
from consumers import dead_letters
from consumers.messages import InboundMessage, Outcome, PoisonMessage, PoisonReason
from consumers.metrics import ConsumerMetrics
from consumers.runner import ConsumerRunner
from tests.consumers.kafka_helpers import (
    FAST_RETRY,
    Record,
    committed,
    eventually,
    make_runner,
    new_topic,
    produce,
    read_topic,
    running,
    sample,
)


@dataclass
class Recorder:
    """Records what it handled; values starting with a marker fail the way they say."""

    handled: list[tuple[int, int, bytes]] = field(default_factory=list)
    attempts: defaultdict[bytes, int] = field(default_factory=lambda: defaultdict(int))
    delay: float = 0.0

    async def __call__(
        self, sessions: async_sessionmaker[AsyncSession], message: InboundMessage
    ) -> Outcome:
        value = message.value or b""
        self.attempts[value] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if value.startswith(b"poison"):
            raise PoisonMessage(PoisonReason.SCHEMA_VIOLATION, "$.items: is required")
        if value.startswith(b"domain"):
            raise DomainError.one(UserErrorCode.NOT_FOUND, "location not found", ("locationId",))
        if value.startswith(b"flaky") and self.attempts[value] <= 2:
            raise ConnectionRefusedError("database is down")
        if value.startswith(b"bug"):
            raise KeyError("a bug")
        self.handled.append((message.partition, message.offset, value))
        return Outcome.APPLIED

    def values(self, partition: int | None = None) -> list[bytes]:
        return [v for p, _, v in self.handled if partition is None or p == partition]


def _runner(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    topic: str,
    handler: Recorder,
    metrics: ConsumerMetrics,
    **options: Any,
) -> ConsumerRunner:
    return make_runner(settings, sessions, {topic: handler}, metrics, **options)


async def test_partitions_run_in_parallel_and_each_keeps_its_order(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "order", partitions=3)
    records = [Record(f"{p}-{i}".encode(), partition=p) for i in range(20) for p in range(3)]
    await produce(settings, topic, records)
    recorder = Recorder(delay=0.005)

    async with running(_runner(settings, sessions, topic, recorder, metrics, concurrency=3)):
        await eventually(lambda: _done(recorder, 60))

    for p in range(3):
        assert recorder.values(p) == [f"{p}-{i}".encode() for i in range(20)]
    assert await committed(settings, settings.kafka_consumer_group, topic, 3) == [20, 20, 20]
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 60


async def _done(recorder: Recorder, count: int) -> bool:
    return len(recorder.handled) >= count


async def test_a_poison_message_is_dead_lettered_with_its_bytes_and_consumption_moves_on(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "poison")
    await produce(
        settings,
        topic,
        [
            Record(b"good-1", key=b"k1"),
            Record(b"poison {not json", key=b"k2", headers=[("trace", b"abc")]),
            Record(b"domain", key=b"k3"),
            Record(b"good-2", key=b"k4"),
        ],
    )
    recorder = Recorder()

    async with running(_runner(settings, sessions, topic, recorder, metrics)):
        await eventually(lambda: _done(recorder, 2))
        letters = await read_topic(settings, f"{topic}.dlq", expect=2)

    assert recorder.values() == [b"good-1", b"good-2"]
    assert [(r.key, r.value) for r in letters] == [(b"k2", b"poison {not json"), (b"k3", b"domain")]
    headers = dict(letters[0].headers)
    assert headers["trace"] == b"abc"
    assert headers[dead_letters.REASON] == b"schema-violation"
    assert headers[dead_letters.DETAIL] == b"$.items: is required"
    assert headers[dead_letters.SOURCE_TOPIC] == topic.encode()
    assert (headers[dead_letters.SOURCE_PARTITION], headers[dead_letters.SOURCE_OFFSET]) == (
        b"0",
        b"1",
    )
    domain = dict(letters[1].headers)
    assert domain[dead_letters.REASON] == b"domain-error"
    assert domain[dead_letters.DETAIL] == b"NOT_FOUND locationId: location not found"
    assert recorder.attempts[b"domain"] == 1  # a business rule is never retried
    assert await committed(settings, settings.kafka_consumer_group, topic) == [4]
    assert sample(registry, "dead_lettered", topic=topic, reason="domain-error") == 1


async def test_a_transient_failure_is_retried_and_the_partition_waits_for_it(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "flaky")
    await produce(settings, topic, [Record(b"flaky-1"), Record(b"after")])
    recorder = Recorder()

    async with running(_runner(settings, sessions, topic, recorder, metrics)):
        await eventually(lambda: _done(recorder, 2))

    assert recorder.values() == [b"flaky-1", b"after"]
    assert recorder.attempts[b"flaky-1"] == 3
    assert sample(registry, "retries", topic=topic, failure="transient") == 2


async def test_an_unexpected_error_is_retried_a_few_times_then_dead_lettered(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "bug")
    await produce(settings, topic, [Record(b"bug"), Record(b"next")])
    recorder = Recorder()

    async with running(_runner(settings, sessions, topic, recorder, metrics)):
        await eventually(lambda: _done(recorder, 1))
        [letter] = await read_topic(settings, f"{topic}.dlq", expect=1)

    assert recorder.attempts[b"bug"] == FAST_RETRY.unexpected_attempts
    assert dict(letter.headers)[dead_letters.REASON] == b"handler-error"
    assert dict(letter.headers)[dead_letters.DETAIL] == b"KeyError: 'a bug'"


async def test_stop_finishes_the_batch_commits_and_a_restart_resumes_after_it(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "resume")
    await produce(settings, topic, [Record(f"a{i}".encode()) for i in range(5)])
    first = Recorder()
    async with running(_runner(settings, sessions, topic, first, metrics)):
        await eventually(lambda: _done(first, 5))
    await produce(settings, topic, [Record(f"b{i}".encode()) for i in range(3)])
    second = Recorder()

    async with running(_runner(settings, sessions, topic, second, metrics)):
        await eventually(lambda: _done(second, 3))

    assert second.values() == [b"b0", b"b1", b"b2"]
    assert await committed(settings, settings.kafka_consumer_group, topic) == [8]


async def test_a_rebalance_waits_for_the_batch_in_flight_and_commits_it(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    topic = await new_topic(settings, "rebalance", partitions=2)
    await produce(
        settings,
        topic,
        [Record(f"{p}-{i}".encode(), partition=p) for i in range(10) for p in (0, 1)],
    )
    slow, other = Recorder(delay=0.1), Recorder()

    async with running(_runner(settings, sessions, topic, slow, metrics, max_batch=20)):
        await eventually(lambda: _done(slow, 1))
        # A second member joins while the first is mid-batch: the first must finish its
        # batch and commit before giving up partitions, so nothing is handled twice.
        async with running(_runner(settings, sessions, topic, other, metrics)):
            await eventually(lambda: _done_together(slow, other, 20), within=30)

    handled = slow.values() + other.values()
    assert sorted(handled) == sorted(f"{p}-{i}".encode() for i in range(10) for p in (0, 1))
    assert sample(registry, "commit_failures") == 0


async def _done_together(a: Recorder, b: Recorder, count: int) -> bool:
    return len(a.handled) + len(b.handled) >= count
