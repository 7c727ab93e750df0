"""The process's realtime hub: one broadcaster connection, one pump per live channel.

Publishing goes to the broadcast backend (memory, Redis pub/sub or PostgreSQL
NOTIFY), so with a shared backend every instance's subscribers see what any
instance published. Receiving: while a (stream, merchant) channel has local
subscribers, one pump task holds the single broadcaster subscription of that
channel in this process, decodes each message once, drops a version it already
passed on (the relay and Kafka deliver at least once), and offers the event to
the subscribers of its location. Offering never waits, so one slow client cannot
delay the pump or the other clients (see `subscriber.py`). The last subscriber
leaving ends the pump and unsubscribes the backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from broadcaster import Broadcast

from app.realtime.redis_backend import RedisPubSubBackend
from app.realtime.streams import E, Stream
from app.realtime.subscriber import Subscriber

log = logging.getLogger(__name__)

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
POSTGRES_MAX_PAYLOAD_BYTES = 7999


@dataclass
class HubStats:
    published: int = 0
    received: int = 0
    duplicates: int = 0
    malformed: int = 0
    offered: int = 0
    overflowed: int = 0


class RealtimeUnavailable(RuntimeError):
    """The broadcast backend refused the subscription (e.g. Redis is unreachable)."""


class MessageTooLarge(ValueError):
    """The backend cannot carry this message (PostgreSQL NOTIFY's 8000-byte limit)."""


@dataclass
class _Channel:
    name: str
    stream: Stream[Any]
    subscribers: dict[uuid.UUID | None, set[Subscriber[Any]]] = field(default_factory=dict)
    last_versions: dict[Hashable, int] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None
    task: asyncio.Task[None] | None = None

    def count(self) -> int:
        return sum(len(group) for group in self.subscribers.values())


class RealtimeHub:
    def __init__(
        self,
        broadcast: Broadcast,
        *,
        queue_limit: int = 1000,
        max_message_bytes: int | None = None,
    ) -> None:
        self._broadcast = broadcast
        self._queue_limit = queue_limit
        self._max_message_bytes = max_message_bytes
        self._channels: dict[str, _Channel] = {}
        # asyncpg (PostgreSQL backend) runs one command at a time per connection.
        self._backend_lock = asyncio.Lock()
        self._started = False
        self.stats = HubStats()

    @classmethod
    def from_url(cls, url: str, *, queue_limit: int = 1000) -> RealtimeHub:
        scheme = urlparse(url).scheme
        postgres = scheme in ("postgres", "postgresql")
        if scheme in ("redis", "rediss"):
            broadcast = Broadcast(backend=RedisPubSubBackend(url))
        else:
            broadcast = Broadcast(url)
        return cls(
            broadcast,
            queue_limit=queue_limit,
            max_message_bytes=POSTGRES_MAX_PAYLOAD_BYTES if postgres else None,
        )

    async def start(self) -> None:
        await self._broadcast.connect()
        self._started = True

    async def stop(self) -> None:
        """Ends every subscription (their iterators finish) and disconnects the backend."""
        channels = list(self._channels.values())
        self._channels.clear()
        for channel in channels:
            for group in channel.subscribers.values():
                for subscriber in group:
                    subscriber.close()
            await _cancel(channel.task)
        if self._started:
            self._started = False
            await self._broadcast.disconnect()

    @property
    def subscriber_count(self) -> int:
        return sum(channel.count() for channel in self._channels.values())

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    def subscribers(self) -> list[Subscriber[Any]]:
        """Every local subscriber (for diagnostics: queue depths, coalesced counts)."""
        return [
            subscriber
            for channel in self._channels.values()
            for group in channel.subscribers.values()
            for subscriber in group
        ]

    async def publish(self, stream: Stream[Any], merchant_id: uuid.UUID, message: str) -> None:
        """Send one encoded message to every instance's subscribers of the merchant."""
        if self._max_message_bytes is not None:
            size = len(message.encode())
            if size > self._max_message_bytes:
                raise MessageTooLarge(
                    f"{size} bytes, the backend carries at most {self._max_message_bytes}"
                )
        async with self._backend_lock:
            await self._broadcast.publish(stream.channel(merchant_id), message)
        self.stats.published += 1

    @contextlib.asynccontextmanager
    async def subscribe(
        self,
        stream: Stream[E],
        merchant_id: uuid.UUID,
        *,
        location_id: uuid.UUID | None = None,
        accepts: Callable[[E], bool] = lambda _event: True,
        on_overflow: Callable[[], None] | None = None,
    ) -> AsyncIterator[Subscriber[E]]:
        """A queue of the merchant's events (of one location when given) that `accepts`."""
        if not self._started:
            raise RuntimeError("the realtime hub is not started")
        subscriber: Subscriber[E] = Subscriber(
            location_id=location_id,
            accepts=accepts,
            limit=self._queue_limit,
            on_overflow=self._overflow_counter(on_overflow),
        )
        channel = self._join(stream, merchant_id, subscriber)
        try:
            await channel.ready.wait()
            if channel.error is not None:
                raise RealtimeUnavailable(str(channel.error)) from channel.error
            yield subscriber
        finally:
            subscriber.close()
            await self._leave(channel, subscriber)

    def _overflow_counter(self, then: Callable[[], None] | None) -> Callable[[], None]:
        def overflowed() -> None:
            self.stats.overflowed += 1
            if then is not None:
                then()

        return overflowed

    def _join(
        self, stream: Stream[Any], merchant_id: uuid.UUID, subscriber: Subscriber[Any]
    ) -> _Channel:
        name = stream.channel(merchant_id)
        channel = self._channels.get(name)
        if channel is None:
            channel = self._channels[name] = _Channel(name, stream)
            channel.task = asyncio.create_task(self._pump(channel), name=f"realtime {name}")
        channel.subscribers.setdefault(subscriber.location_id, set()).add(subscriber)
        return channel

    async def _leave(self, channel: _Channel, subscriber: Subscriber[Any]) -> None:
        group = channel.subscribers.get(subscriber.location_id)
        if group is not None:
            group.discard(subscriber)
            if not group:
                del channel.subscribers[subscriber.location_id]
        if not channel.subscribers and self._channels.get(channel.name) is channel:
            del self._channels[channel.name]
            await _cancel(channel.task)

    async def _pump(self, channel: _Channel) -> None:
        subscription = self._broadcast.subscribe(channel.name)
        try:
            async with self._backend_lock:
                events = await subscription.__aenter__()
        except Exception as exc:
            # broadcaster hides a failed backend subscribe behind a KeyError of its own.
            channel.error = exc.__context__ or exc
            channel.ready.set()
            return
        try:
            channel.ready.set()
            while True:
                event = await events.get()
                try:
                    self._dispatch(channel, event.message)
                except Exception:
                    log.exception("realtime dispatch failed", extra={"channel": channel.name})
        finally:
            # Unsubscribing talks to the backend too: under the same lock, even when cancelled.
            async with self._backend_lock:
                await subscription.__aexit__(None, None, None)

    def _dispatch(self, channel: _Channel, message: str) -> None:
        self.stats.received += 1
        try:
            event = channel.stream.decode(message)
        except ValueError as exc:
            self.stats.malformed += 1
            log.warning("skipped a malformed realtime message", extra={"error": str(exc)})
            return
        key = event.coalesce_key
        last = channel.last_versions.get(key)
        if last is not None and event.version <= last:
            self.stats.duplicates += 1
            return
        channel.last_versions[key] = event.version
        for location in (event.location_id, None):
            group = channel.subscribers.get(location)
            for subscriber in list(group or ()):
                self.stats.offered += 1
                if not subscriber.offer(event) and group is not None:
                    # Overflowed: out of the hub now, even while its socket is stuck sending.
                    group.discard(subscriber)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
