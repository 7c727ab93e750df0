"""The realtime side of a process: the hub, and the Kafka consumer that feeds it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from app.db.unit_of_work import UnitOfWork
from app.realtime.availability import availability_handler
from app.realtime.consumer import RealtimeConsumer
from app.realtime.hub import RealtimeHub
from app.realtime.metrics import watch_hub
from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Realtime:
    hub: RealtimeHub
    # None when Kafka is not configured or RUN_REALTIME_CONSUMER_IN_SERVE is off.
    consumer: RealtimeConsumer | None


@contextlib.asynccontextmanager
async def open_realtime(
    settings: Settings, sessions: UnitOfWork | None = None
) -> AsyncIterator[Realtime]:
    """Start the hub on BROADCAST_URL and, when Kafka is configured, its consumer.

    With `sessions`, the consumer also derives availabilityChanged (it reads recipes).
    """
    hub = RealtimeHub.from_url(
        settings.broadcast_url, queue_limit=settings.realtime_subscriber_queue_limit
    )
    await hub.start()
    watch_hub(hub)
    consumer: RealtimeConsumer | None = None
    try:
        if settings.kafka_bootstrap_servers and settings.run_realtime_consumer_in_serve:
            consumer = RealtimeConsumer.for_hub(settings, hub)
            if sessions is not None:
                shared = not settings.broadcast_url.startswith("memory://")
                derive = availability_handler(shared, hub, sessions)
                consumer.add_handler(derive)
                consumer.add_inputs_handler(derive.inputs_changed)
            consumer.start()
        elif not settings.kafka_bootstrap_servers:
            log.warning("KAFKA_BOOTSTRAP_SERVERS is not set: subscriptions get no stock events")
        yield Realtime(hub, consumer)
    finally:
        if consumer is not None:
            await consumer.stop()
        await hub.stop()
