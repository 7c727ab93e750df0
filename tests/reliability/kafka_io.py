"""Producing a stream quickly and counting what sits on a topic (the broker is 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from app.kafka.client import create_producer
from app.settings import Settings
from tests.consumers.kafka_helpers import Record


def broker_settings(bootstrap: str, **overrides: object) -> Settings:
    # tansu has no idempotent producer.
    return Settings(kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=False, **overrides)  # type: ignore[arg-type]


async def produce_stream(
    settings: Settings,
    topic: str,
    records: Sequence[Record],
    *,
    chunk: int = 250,
    pause: float = 0.0,
) -> int:
    """Send `records` in order, `chunk` in flight at a time, pausing between chunks."""
    producer = create_producer(settings, linger_ms=20)
    await producer.start()
    sent = 0
    try:
        for start in range(0, len(records), chunk):
            futures = [
                await producer.send(
                    topic, r.value, key=r.key, partition=r.partition, headers=list(r.headers)
                )
                for r in records[start : start + chunk]
            ]
            await asyncio.gather(*futures)
            sent += len(futures)
            if pause:
                await asyncio.sleep(pause)
    finally:
        await producer.stop()
    return sent


async def end_offsets(bootstrap: str, topic: str) -> int:
    """How many records `topic` holds (the sum of its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return 0
        ends = await consumer.end_offsets(partitions)
        return sum(ends.values())
    finally:
        await consumer.stop()


async def committed_total(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    """The group's committed offsets on `topic`, summed (0 where none)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        total = 0
        for p in range(partitions):
            offset = await consumer.committed(TopicPartition(topic, p))
            total += max(offset or 0, 0)
        return total
    finally:
        await consumer.stop()
