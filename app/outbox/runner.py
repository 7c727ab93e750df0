"""Building a relay from settings, for `inventory relay` and for `inventory serve`'s lifespan."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.listen_connections import listen_dsn
from app.kafka import topics
from app.kafka.client import bootstrap_servers, create_producer, ensure_topics
from app.outbox.publisher import Publisher
from app.outbox.relay import BeforeMark, OutboxRelay, RelayHandle, RelayOptions
from app.runtime import Runtime
from app.settings import Settings

log = logging.getLogger(__name__)


def build_relay(
    settings: Settings,
    engine: AsyncEngine,
    *,
    database_url: str | None,
    options: RelayOptions | None = None,
    before_mark: BeforeMark | None = None,
    **producer_overrides: Any,
) -> OutboxRelay:
    """A relay on `engine` publishing to KAFKA_BOOTSTRAP_SERVERS (raises KafkaNotConfigured).

    `database_url` is where it LISTENs for new rows; None polls only.
    """
    bootstrap_servers(settings)
    options = options or RelayOptions.from_settings(settings)
    overrides = {
        "request_timeout_ms": int(options.request_timeout * 1000),
        # The relay hands over a whole batch at once; lingering would only add latency.
        "linger_ms": 0,
        **producer_overrides,
    }

    async def create_topics() -> None:
        if settings.kafka_create_topics:
            await ensure_topics(settings, topics.PUBLISHED)

    publisher = Publisher(
        lambda: create_producer(settings, **overrides),
        prepare=create_topics,
        send_timeout=3 * options.request_timeout + 5,
    )
    return OutboxRelay(
        engine,
        publisher,
        options,
        listen_dsn=listen_dsn(database_url) if database_url else None,
        before_mark=before_mark,
    )


def start_relay(runtime: Runtime) -> RelayHandle | None:
    """Run a relay inside this process when RUN_RELAY_IN_SERVE is on and Kafka is configured.

    The relay is also left in `runtime.extras["outbox_relay"]` (its `backlog`
    feeds `BacklogCollector`).
    """
    settings = runtime.settings
    if not settings.run_relay_in_serve:
        return None
    if not settings.kafka_bootstrap_servers:
        log.warning("KAFKA_BOOTSTRAP_SERVERS is not set: outbox events wait in the database")
        return None
    relay = build_relay(settings, runtime.database.engine, database_url=runtime.database.url)
    runtime.extras["outbox_relay"] = relay
    return RelayHandle.start(relay)
