"""Producing, reading back and running consumers against the test broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kafka.client import create_producer, ensure_topics
from app.kafka.topics import dead_letter_topic
from app.settings import Settings
from consumers.failures import RetryPolicy
from consumers.messages import Handler
from consumers.metrics import ConsumerMetrics
from consumers.runner import CommitHook, ConsumerRunner, RunnerOptions

# tansu holds a join for half the session timeout: keep it short so groups form fast.
FAST_GROUP = {"session_timeout_ms": 2000, "heartbeat_interval_ms": 200}
FAST_RETRY = RetryPolicy(initial_delay=0.05, max_delay=0.2, unexpected_attempts=3)
OUTCOMES = ("applied", "duplicate", "stale", "skipped", "dead_lettered")


@dataclass(frozen=True)
class Record:
    value: bytes | None
    key: bytes | None = None
    partition: int | None = None
    headers: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


def as_json(document: Any) -> bytes:
    return json.dumps(document).encode()


async def new_topic(settings: Settings, prefix: str, partitions: int = 1) -> str:
    """A topic of this test's own, with its dead-letter topic."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    await ensure_topics(settings, [name, dead_letter_topic(name)], partitions=partitions)
    return name


async def produce(settings: Settings, topic: str, records: Sequence[Record]) -> None:
    producer = create_producer(settings)
    await producer.start()
    try:
        for r in records:
            await producer.send_and_wait(
                topic, r.value, key=r.key, partition=r.partition, headers=list(r.headers)
            )
    finally:
        await producer.stop()


async def read_topic(
    settings: Settings, topic: str, *, expect: int, within: float = 10
) -> list[Any]:
    """Every record of `topic` from the beginning, once `expect` of them are there."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer.topics()
            partitions = consumer.partitions_for_topic(topic) or set()
        consumer.assign([TopicPartition(topic, p) for p in partitions])
        await consumer.seek_to_beginning()
        records: list[Any] = []
        deadline = time.monotonic() + within
        while len(records) < expect and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
        await asyncio.sleep(0.2)  # anything beyond `expect` shows up too
        for messages in (await consumer.getmany(timeout_ms=200)).values():
            records.extend(messages)
        return records
    finally:
        await consumer.stop()


async def committed(settings: Settings, group: str, topic: str, partitions: int = 1) -> list[int]:
    """The group's committed offset per partition (-1 when none)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        offsets = []
        for p in range(partitions):
            offset = await consumer.committed(TopicPartition(topic, p))
            offsets.append(-1 if offset is None else offset)
        return offsets
    finally:
        await consumer.stop()


def make_runner(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    handlers: Mapping[str, Handler],
    metrics: ConsumerMetrics,
    *,
    before_commit: CommitHook | None = None,
    **options: Any,
) -> ConsumerRunner:
    """A runner tuned for tests: fast group joins, short polls and backoff."""
    return ConsumerRunner(
        settings,
        sessions,
        handlers,
        options=RunnerOptions(
            **{"retry": FAST_RETRY, "poll_timeout": 0.1, "consumer_options": FAST_GROUP, **options}
        ),
        metrics=metrics,
        before_commit=before_commit,
    )


@contextlib.asynccontextmanager
async def running(
    runner: ConsumerRunner, *, within: float = 20
) -> AsyncIterator[asyncio.Task[None]]:
    """Run the consumer until the block ends, then stop it gracefully."""
    task = asyncio.create_task(runner.run())
    try:
        await wait_until_assigned(runner, task, within=within)
        yield task
    finally:
        runner.stop()
        if not task.done():
            await asyncio.wait_for(task, within)
        elif not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def wait_until_assigned(
    runner: ConsumerRunner, task: asyncio.Task[None], *, within: float = 20
) -> None:
    waiter = asyncio.create_task(runner.assigned.wait())
    done, _ = await asyncio.wait({waiter, task}, timeout=within, return_when="FIRST_COMPLETED")
    waiter.cancel()
    if task in done:
        task.result()
        raise AssertionError("the consumer stopped before it was assigned partitions")
    assert waiter in done, "the consumer was not assigned partitions in time"


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 15, interval: float = 0.1
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(interval)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """A consumer counter's value (0 when never incremented)."""
    value = registry.get_sample_value(f"inventory_consumer_{name}_total", labels)
    return value or 0.0


def handled(registry: CollectorRegistry, topic: str) -> float:
    """Messages of `topic` finished with any outcome, dead letters included."""
    return sum(sample(registry, "messages_processed", topic=topic, outcome=o) for o in OUTCOMES)


class Crash(Exception):
    """Stands for the process dying at the point where it is raised."""
