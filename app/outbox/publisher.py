"""The relay's Kafka side: one producer at a time, recreated after it stops working.

A batch is sent as a whole (every `send` first, then every acknowledgement is
awaited), so the broker sees the rows of a partition in `seq` order: aiokafka
keeps one request in flight per broker, which preserves a partition's order
even without the idempotent producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from app.outbox.claims import ClaimedEvent

log = logging.getLogger(__name__)

CONTENT_TYPE = b"application/json"

ProducerFactory = Callable[[], AIOKafkaProducer]


@dataclass(frozen=True)
class Acked:
    pass


@dataclass(frozen=True)
class Failed:
    error: BaseException


@dataclass(frozen=True)
class NotTried:
    """The producer broke before this row was handed to it; it is simply released."""


Outcome = Acked | Failed | NotTried

ACKED = Acked()
NOT_TRIED = NotTried()


def headers(event: ClaimedEvent) -> list[tuple[str, bytes]]:
    found = [("eventType", event.event_type.encode()), ("contentType", CONTENT_TYPE)]
    if event.request_id:
        found.append(("requestId", event.request_id.encode()))
    return found


class Publisher:
    """Publishes batches with acks=all; `reset()` drops a producer that stopped working.

    `prepare` runs before every new producer starts (creating the topics: a
    broker restarted with memory storage has forgotten them).
    """

    def __init__(
        self,
        factory: ProducerFactory,
        *,
        prepare: Callable[[], Awaitable[object]] | None = None,
        send_timeout: float = 30.0,
    ) -> None:
        self._factory = factory
        self._prepare = prepare
        self._send_timeout = send_timeout
        self._producer: AIOKafkaProducer | None = None
        self.generation = 0

    @property
    def ready(self) -> bool:
        return self._producer is not None

    async def connect(self) -> None:
        """Start a producer; raises when the broker cannot be reached."""
        producer = self._factory()
        try:
            if self._prepare is not None:
                await self._prepare()
            await producer.start()
        except BaseException:
            await _stop_quietly(producer)
            raise
        self._producer = producer
        self.generation += 1
        log.info("outbox producer started", extra={"generation": self.generation})

    async def reset(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop_quietly(producer)

    async def close(self) -> None:
        await self.reset()

    async def publish(self, events: Sequence[ClaimedEvent]) -> list[Outcome]:
        """Send every event, then await every acknowledgement; one outcome per event."""
        producer = self._producer
        if producer is None:
            return [NOT_TRIED] * len(events)
        pending: list[asyncio.Future[object] | Outcome] = []
        for event in events:
            try:
                future = await producer.send(
                    event.topic,
                    value=event.value.encode(),
                    key=event.key.encode(),
                    headers=headers(event),
                )
            except MessageSizeTooLargeError as exc:
                pending.append(Failed(exc))
            except KafkaError as exc:
                # Metadata unavailable and the like: the rest would wait just as long.
                pending.append(Failed(exc))
                pending.extend([NOT_TRIED] * (len(events) - len(pending)))
                break
            else:
                pending.append(future)
        return await self._acknowledgements(pending)

    async def _acknowledgements(
        self, pending: list[asyncio.Future[object] | Outcome]
    ) -> list[Outcome]:
        futures = [p for p in pending if isinstance(p, asyncio.Future)]
        if futures:
            # wait() does not cancel what is late: aiokafka still owns those futures.
            await asyncio.wait(futures, timeout=self._send_timeout)
        outcomes: list[Outcome] = []
        for item in pending:
            if not isinstance(item, asyncio.Future):
                outcomes.append(item)
            elif not item.done():
                item.add_done_callback(_retrieve)
                outcomes.append(Failed(TimeoutError("no acknowledgement in time")))
            elif (error := item.exception()) is not None:
                outcomes.append(Failed(error))
            else:
                outcomes.append(ACKED)
        return outcomes


def _retrieve(future: asyncio.Future[object]) -> None:
    """A late result of an abandoned send: fetch it so asyncio does not log it as lost."""
    if not future.cancelled():
        future.exception()


async def _stop_quietly(producer: AIOKafkaProducer) -> None:
    with contextlib.suppress(Exception):
        await producer.stop()
