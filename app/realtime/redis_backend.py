"""A Redis pub/sub backend for broadcaster that survives its own start and Redis restarts.

broadcaster 0.3's RedisBackend starts listening the moment its first SUBSCRIBE is
sent; redis-py only marks the pubsub subscribed once the command returns, so the
listener can find it unsubscribed, stop, and never listen again: no message is
ever delivered. This backend waits for the first subscription instead, reads with
a timeout, and keeps reading after connection errors (redis-py reconnects and
subscribes the channels again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from broadcaster import Event
from broadcaster._backends.base import BroadcastBackend
from redis.asyncio import Redis

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str) -> None:
        self._url = url
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribed = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._redis = Redis.from_url(self._url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._listener = asyncio.create_task(self._listen(), name="realtime redis listener")

    async def disconnect(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._subscribed.set()

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        await self._redis.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._queue.get()

    async def _listen(self) -> None:
        await self._subscribed.wait()
        while True:
            try:
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=RETRY_SECONDS
                )
            except (ConnectionError, OSError, TimeoutError) as exc:
                log.warning("redis pub/sub unavailable", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_SECONDS)
                continue
            except Exception as exc:  # redis.exceptions.* do not all derive from the above
                log.warning("redis pub/sub read failed", extra={"error": repr(exc)})
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if message is not None and message.get("type") == "message":
                self._queue.put_nowait(
                    Event(channel=_text(message["channel"]), message=_text(message["data"]))
                )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
