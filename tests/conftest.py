"""Shared fixtures: each starts what is missing (PostgreSQL, a Kafka-protocol broker, Redis)."""

pytest_plugins = [
    "tests.fixtures.server_dirs",
    "tests.fixtures.fast_paths",
    "tests.fixtures.database",
    "tests.fixtures.broker",
    "tests.fixtures.redis_server",
]
