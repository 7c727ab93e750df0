"""Shared fixtures: each starts what is missing (PostgreSQL, a Kafka-protocol broker, Redis)."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.broker",
    "tests.fixtures.redis_server",
]
