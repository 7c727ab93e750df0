"""Fixtures of the consumer tests: settings on the test broker and database, metrics."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import CollectorRegistry

from app.settings import Settings
from consumers.metrics import ConsumerMetrics


@pytest.fixture
def settings(kafka_bootstrap: str, database_url: str) -> Settings:
    # tansu has no idempotent producer; a consumer group of the test's own isolates it.
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_enable_idempotence=False,
        database_url=database_url,
        kafka_consumer_group=f"test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> ConsumerMetrics:
    return ConsumerMetrics.create(registry)
