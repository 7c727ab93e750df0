"""One subscription's queue: bounded, coalescing per key, never blocking the publisher.

A client that reads slower than events arrive does not make the queue grow: a
newer event of a key already waiting replaces it in place (the highest version
wins, so the client gets the newest state, never an older one). Only when more
distinct keys wait than `limit` does the subscriber overflow: its queue is dropped
and `on_overflow` is called (the websocket layer closes the connection with a
code that tells the client to refetch and resubscribe).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Generic

from app.realtime.streams import E


class SubscriberOverflow(Exception):
    """More distinct keys were waiting than the queue holds; the subscription is over."""


class SubscriberClosed(Exception):
    """The hub stopped (the process is shutting down)."""


class Subscriber(Generic[E]):
    def __init__(
        self,
        *,
        location_id: uuid.UUID | None,
        accepts: Callable[[E], bool],
        limit: int,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.location_id = location_id
        self._accepts = accepts
        self._limit = limit
        self._on_overflow = on_overflow
        self._pending: dict[Hashable, E] = {}
        self._wakeup = asyncio.Event()
        self._ended: type[Exception] | None = None
        self.delivered = 0
        self.coalesced = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def overflowed(self) -> bool:
        return self._ended is SubscriberOverflow

    def offer(self, event: E) -> bool:
        """Queue `event` if this subscriber wants it; False when it overflowed just now."""
        if self._ended is not None or not self._accepts(event):
            return True
        key = event.coalesce_key
        waiting = self._pending.get(key)
        if waiting is not None:
            self.coalesced += 1
            if event.version >= waiting.version:
                self._pending[key] = event
            return True
        if len(self._pending) >= self._limit:
            self._end(SubscriberOverflow)
            if self._on_overflow is not None:
                self._on_overflow()
            return False
        self._pending[key] = event
        self._wakeup.set()
        return True

    def close(self) -> None:
        self._end(SubscriberClosed)

    def _end(self, reason: type[Exception]) -> None:
        if self._ended is None:
            self._ended = reason
            self._pending.clear()
            self._wakeup.set()

    async def get(self) -> E:
        """The oldest waiting key's newest event; raises when the subscription ended."""
        while not self._pending:
            if self._ended is not None:
                raise self._ended()
            self._wakeup.clear()
            await self._wakeup.wait()
        key = next(iter(self._pending))
        self.delivered += 1
        return self._pending.pop(key)

    async def __aiter__(self) -> AsyncIterator[E]:
        while True:
            try:
                yield await self.get()
            except SubscriberClosed:
                return
