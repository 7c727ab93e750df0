"""Consumer instances of the benchmark, each a process of its own in one consumer group.

Every instance reports its first fetch and its offset commits (wall clock) to the
parent, which stops them all once the commits cover every event.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from app.db.engine import create_engine, create_session_factory
from app.domain.sale import PaymentSucceeded
from app.settings import Settings
from consumers import payments
from consumers.messages import BatchHandler, InboundMessage
from consumers.metrics import ConsumerMetrics
from consumers.runner import ConsumerRunner, RunnerOptions


@dataclass(frozen=True)
class InstanceOptions:
    concurrency: int
    batch: int


def _total(registry: CollectorRegistry, name: str) -> float:
    return sum(
        s.value
        for metric in registry.collect()
        if metric.name == name
        for s in metric.samples
        if s.name.endswith("_total")
    )


async def _instance(
    settings: Settings, topic: str, options: InstanceOptions, reports: Queue[Any], stop: Event
) -> None:
    assert settings.database_url is not None
    engine = create_engine(settings.database_url, pool_size=options.concurrency + 2)
    fetched = False
    cpu_at_first = 0.0

    def timed(message: InboundMessage) -> PaymentSucceeded:
        nonlocal fetched, cpu_at_first
        if not fetched:
            fetched = True
            cpu_at_first = time.process_time()
            reports.put(("first", time.time()))
        return payments.decode(message)

    async def after_commit(offsets: Mapping[TopicPartition, int]) -> None:
        reports.put(("commit", {tp.partition: o for tp, o in offsets.items()}, time.time()))

    registry = CollectorRegistry()
    runner = ConsumerRunner(
        settings,
        create_session_factory(engine),
        {topic: BatchHandler(timed, payments.apply)},
        # As `inventory consume` runs it: a process of its own.
        options=RunnerOptions(
            concurrency=options.concurrency,
            max_batch=options.batch,
            freeze_heap_after_start=True,
        ),
        metrics=ConsumerMetrics.create(registry),
        after_commit=after_commit,
    )
    try:
        task = asyncio.create_task(runner.run())
        await asyncio.to_thread(stop.wait)
        runner.stop()
        await task
    finally:
        await engine.dispose()
    dead = _total(registry, "inventory_consumer_dead_lettered")
    duplicates = _total(registry, "inventory_consumer_duplicates")
    reports.put(("done", dead, duplicates, time.process_time() - cpu_at_first))


def _main(settings_json: str, topic: str, options: dict[str, int], reports: Any, stop: Any) -> None:
    settings = Settings.model_validate_json(settings_json)
    asyncio.run(_instance(settings, topic, InstanceOptions(**options), reports, stop))


async def consume_with_instances(
    settings: Settings, topic: str, count: int, options: InstanceOptions, instances: int
) -> tuple[float, float, float, float]:
    """(seconds from the first fetch to the commit covering every event, dead letters,
    duplicates, CPU seconds of the instances from their first fetch to their stop), with
    `instances` consumer processes sharing the partitions."""
    context = multiprocessing.get_context("spawn")
    reports: Any = context.Queue()
    stop = context.Event()
    processes = [
        context.Process(
            target=_main,
            args=(settings.model_dump_json(), topic, asdict(options), reports, stop),
        )
        for _ in range(instances)
    ]
    for process in processes:
        process.start()
    first = float("inf")
    committed: dict[int, int] = {}
    last: float | None = None
    try:
        while last is None:
            report = await asyncio.to_thread(reports.get, True, 900)
            if report[0] == "first":
                first = min(first, report[1])
            elif report[0] == "commit":
                for partition, offset in report[1].items():
                    committed[partition] = max(committed.get(partition, 0), offset)
                if sum(committed.values()) >= count:
                    last = report[2]
        stop.set()
        dead = duplicates = cpu = 0.0
        for _ in processes:
            report = await asyncio.to_thread(reports.get, True, 120)
            while report[0] != "done":
                report = await asyncio.to_thread(reports.get, True, 120)
            dead, duplicates, cpu = dead + report[1], duplicates + report[2], cpu + report[3]
    finally:
        stop.set()
        for process in processes:
            await asyncio.to_thread(process.join, 60)
            if process.is_alive():
                process.kill()
    return last - first, dead, duplicates, cpu
