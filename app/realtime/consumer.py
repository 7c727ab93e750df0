"""Reads `inventory.stock-changed` and publishes each event to its merchant's channel.

Two modes, chosen by BROADCAST_URL:

- `memory://` (one process, the embedded default): the broadcast reaches only this
  process, so every app process runs its own consumer with no consumer group at
  all (every partition, from the latest offset, nothing committed): each process
  sees every event.
- `redis://` / `postgres://` (shared backend): all instances share one consumer
  group (REALTIME_CONSUMER_GROUP), so each event is read by one instance and
  published once to the shared channel, where every instance's hub receives it
  once. Offsets are committed about once a second; what is read again after a
  rebalance or restart is dropped by the hubs as an already-seen version.

Realtime is a notification path, not a ledger: an event that cannot be published
after a few tries is skipped and counted; clients notice the gap in `version`
and refetch. Handlers after the stock one derive further streams (availability).

With an inputs handler (the availability derivation), the consumer also reads the
internal `inventory.availability-inputs-changed` (a recipe or tracking change, no stock
moving), in the same group and mode as the stock events. A stock event that crossed its
low-stock threshold is also published on the lowStock stream, and so is each message of
the internal `inventory.stock-threshold-changed` (a threshold change that crossed it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.errors import KafkaConnectionError

from app.kafka import topics
from app.kafka.client import create_consumer, ensure_topics
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    MalformedInputsEvent,
    decode_availability_inputs_changed,
)
from app.realtime.events import MalformedEvent, StockEvent, decode_stock_event
from app.realtime.hub import MessageTooLarge, RealtimeHub
from app.realtime.low_stock import LowStockEvent, decode_low_stock
from app.realtime.streams import LOW_STOCK, STOCK
from app.request_context import bound_request_id, message_request_id
from app.settings import Settings

log = logging.getLogger(__name__)

# (event, the message as received) → publish whatever the handler derives.
EventHandler = Callable[[StockEvent, str], Awaitable[None]]
InputsHandler = Callable[[AvailabilityInputsChanged], Awaitable[None]]
# (threshold crossing, the message as received).
ThresholdHandler = Callable[[LowStockEvent, str], Awaitable[None]]

T = TypeVar("T")

COMMIT_INTERVAL_SECONDS = 1.0
PUBLISH_ATTEMPTS = 3
# A group member may get no partition at all (more instances than partitions).
ASSIGNMENT_WAIT_SECONDS = 30.0


def publish_stock(hub: RealtimeHub) -> EventHandler:
    """The stock stream carries the message as produced: no re-encoding, nothing lost."""

    async def handle(event: StockEvent, message: str) -> None:
        await hub.publish(STOCK, event.merchant_id, message)
        if event.crossed_low_stock:
            await hub.publish(LOW_STOCK, event.merchant_id, message)

    return handle


def publish_threshold_crossing(hub: RealtimeHub) -> ThresholdHandler:
    async def handle(event: LowStockEvent, message: str) -> None:
        await hub.publish(LOW_STOCK, event.merchant_id, message)

    return handle


@dataclass
class ConsumerStats:
    consumed: int = 0
    malformed: int = 0
    skipped: int = 0
    restarts: int = 0


class RealtimeConsumer:
    def __init__(
        self,
        settings: Settings,
        handlers: Sequence[EventHandler],
        *,
        group_id: str | None,
        retry_seconds: float = 2.0,
        **consumer_overrides: Any,
    ) -> None:
        self._settings = settings
        self._handlers = list(handlers)
        self._inputs_handlers: list[InputsHandler] = []
        self._threshold_handlers: list[ThresholdHandler] = []
        self._group_id = group_id
        self._retry_seconds = retry_seconds
        self._overrides = consumer_overrides
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.stats = ConsumerStats()

    @classmethod
    def for_hub(cls, settings: Settings, hub: RealtimeHub, **overrides: Any) -> RealtimeConsumer:
        shared = not settings.broadcast_url.startswith("memory://")
        group = settings.realtime_consumer_group if shared else None
        consumer = cls(settings, [publish_stock(hub)], group_id=group, **overrides)
        consumer._threshold_handlers.append(publish_threshold_crossing(hub))
        return consumer

    def add_handler(self, handler: EventHandler) -> None:
        """A derived stream's handler, called after the stock event was published."""
        self._handlers.append(handler)

    def add_inputs_handler(self, handler: InputsHandler) -> None:
        """A handler of availability-inputs-changed events; the topic is read only with one."""
        self._inputs_handlers.append(handler)

    def topics(self) -> list[str]:
        inputs = [topics.AVAILABILITY_INPUTS_CHANGED] if self._inputs_handlers else []
        thresholds = [topics.STOCK_THRESHOLD_CHANGED] if self._threshold_handlers else []
        return [topics.INVENTORY_STOCK_CHANGED, *inputs, *thresholds]

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="realtime consumer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_forever(self) -> None:
        # The broker may be down at start or go away: keep trying, never take the app down.
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except KafkaConnectionError as exc:
                # Expected while the broker is down: one line per retry, no traceback.
                log.warning(
                    "Kafka unreachable; subscriptions get no stock events, retrying in %.1f s",
                    self._retry_seconds,
                    extra={"error": str(exc), "retryInSeconds": self._retry_seconds},
                )
            except Exception:
                log.exception("realtime consumer failed; restarting")
            self.ready.clear()
            self.stats.restarts += 1
            await asyncio.sleep(self._retry_seconds)

    def _consumer(self) -> AIOKafkaConsumer:
        options: dict[str, Any] = {
            "group_id": self._group_id,
            "auto_offset_reset": "latest",
            "enable_auto_commit": False,
            "client_id": "inventory-realtime",
            # The broker answers a fetch as soon as there is data, or after this long.
            "fetch_max_wait_ms": 100,
            # A member joining or leaving is noticed within a second (the default is 3).
            "heartbeat_interval_ms": 1000,
        }
        options.update(self._overrides)
        return create_consumer(self._settings, *self.topics(), **options)

    async def _run_once(self) -> None:
        if self._settings.kafka_create_topics:
            await ensure_topics(self._settings, self.topics())
        consumer = self._consumer()
        await consumer.start()
        try:
            await self._await_positions(consumer)
            self.ready.set()
            committed_at = time.monotonic()
            while True:
                batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                for records in batches.values():
                    for record in records:
                        await self._handle(record)
                if self._group_id and time.monotonic() - committed_at >= COMMIT_INTERVAL_SECONDS:
                    await self._commit(consumer)
                    committed_at = time.monotonic()
        finally:
            if self._group_id:
                await self._commit(consumer)
            await consumer.stop()

    async def _await_positions(self, consumer: AIOKafkaConsumer) -> None:
        # Resolve "latest" before calling ourselves ready, so nothing produced after is missed.
        # aiokafka's group-less mode has no assignment callback: poll for it.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ASSIGNMENT_WAIT_SECONDS):
                while not consumer.assignment():  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        for partition in consumer.assignment():
            await consumer.position(partition)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        try:
            await consumer.commit()
        except Exception as exc:
            log.warning("realtime offsets not committed", extra={"error": str(exc)})

    async def _handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        # As for any consumed message: its request id on the lines logged meanwhile.
        with bound_request_id(message_request_id(record.headers, record.value)):
            await self._handle_record(record)

    async def _handle_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        self.stats.consumed += 1
        message = (record.value or b"").decode("utf-8", errors="replace")
        if record.topic == topics.AVAILABILITY_INPUTS_CHANGED:
            change = self._decoded(
                record,
                message,
                decode_availability_inputs_changed,
                MalformedInputsEvent,
                "availability inputs event",
            )
            if change is not None:
                for inputs_handler in self._inputs_handlers:
                    await self._publish(inputs_handler, change)
        elif record.topic == topics.STOCK_THRESHOLD_CHANGED:
            crossing = self._decoded(
                record, message, decode_low_stock, MalformedEvent, "stock threshold event"
            )
            if crossing is not None:
                for threshold_handler in self._threshold_handlers:
                    await self._publish(threshold_handler, crossing, message)
        else:
            event = self._decoded(
                record, message, decode_stock_event, MalformedEvent, "stock event"
            )
            if event is not None:
                for handler in self._handlers:
                    await self._publish(handler, event, message)

    def _decoded(
        self,
        record: ConsumerRecord[bytes, bytes],
        message: str,
        decode: Callable[[str], T],
        malformed: type[Exception],
        what: str,
    ) -> T | None:
        """The decoded message, or None when it is malformed (counted and logged), or when
        decoding failed by a bug: never worth a restart loop."""
        try:
            return decode(message)
        except Exception as exc:
            if not isinstance(exc, malformed):
                log.exception(f"{what} decoding failed")
            self._malformed(record, f"skipped a malformed {what}", exc)
            return None

    def _malformed(self, record: ConsumerRecord[bytes, bytes], note: str, exc: Exception) -> None:
        self.stats.malformed += 1
        log.warning(
            note,
            extra={"partition": record.partition, "offset": record.offset, "error": str(exc)},
        )

    async def _publish(self, handler: Callable[..., Awaitable[None]], *event: Any) -> None:
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await handler(*event)
                return
            except MessageTooLarge as exc:
                log.warning("realtime message too large", extra={"error": str(exc)})
                break
            except Exception as exc:
                log.warning(
                    "realtime publish failed",
                    extra={"attempt": attempt, "error": f"{type(exc).__name__}: {exc}"},
                )
                await asyncio.sleep(0.1 * attempt)
        self.stats.skipped += 1
