"""aiokafka clients built from settings, and creation of the topics the service uses."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from app.kafka import topics
from app.settings import Settings

log = logging.getLogger(__name__)


class KafkaNotConfigured(RuntimeError):
    """KAFKA_BOOTSTRAP_SERVERS is not set (and no embedded broker was started)."""


def bootstrap_servers(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise KafkaNotConfigured("KAFKA_BOOTSTRAP_SERVERS is not set")
    return settings.kafka_bootstrap_servers


def create_producer(settings: Settings, **overrides: Any) -> AIOKafkaProducer:
    """acks=all; idempotence when the broker supports it (KAFKA_ENABLE_IDEMPOTENCE)."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "acks": "all",
        "enable_idempotence": settings.kafka_enable_idempotence,
        "linger_ms": 5,
        "request_timeout_ms": 10_000,
        "client_id": "inventory",
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


def create_consumer(settings: Settings, *topic_names: str, **overrides: Any) -> AIOKafkaConsumer:
    """Manual commits only: offsets move after the database transaction commits."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "group_id": settings.kafka_consumer_group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "client_id": "inventory",
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topic_names, **options)


def all_topics() -> list[str]:
    consumed_dlq = [topics.dead_letter_topic(name) for name in topics.CONSUMED]
    return [*topics.PUBLISHED, *topics.CONSUMED, *consumed_dlq]


async def ensure_topics(
    settings: Settings,
    names: Iterable[str] | None = None,
    *,
    partitions: int = 4,
    replication_factor: int = 1,
) -> list[str]:
    """Create missing topics (KAFKA_CREATE_TOPICS); returns the names it created."""
    wanted = list(names) if names is not None else all_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if not missing:
            return []
        # Another process may create them between our list and create: that is fine.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [NewTopic(name, partitions, replication_factor) for name in missing]
            )
        log.info("created topics", extra={"topics": missing})
        return missing
    finally:
        await admin.close()
