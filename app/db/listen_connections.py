"""Dedicated LISTEN connections: opened outside the engine's pool, reopened with backoff.

Both listeners (the relay's wake-up, the caches' data versions) hold one plain asyncpg
connection for the life of the process; a pooled connection would be handed back and
lose its LISTEN. `ChannelListener` is what they share: connect with backoff, LISTEN,
ping a quiet connection so a dead one is noticed, and start over when it is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


def listen_dsn(database_url: str) -> str:
    """The plain libpq URL asyncpg wants, from the service's `postgresql+asyncpg://` URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Backoff:
    """Exponential delays with jitter, from `base` up to `cap`, until `reset()`."""

    def __init__(self, base: float, cap: float) -> None:
        self._base = base
        self._cap = cap
        self._failures = 0

    def next(self) -> float:
        self._failures += 1
        delay = min(self._cap, self._base * 2.0 ** (self._failures - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    def reset(self) -> None:
        self._failures = 0


async def connect_with_backoff(
    dsn: str, *, application_name: str, backoff: Backoff, purpose: str
) -> asyncpg.Connection:
    """A new connection, retried with `backoff` until the database answers."""
    while True:
        try:
            return await asyncpg.connect(
                dsn, timeout=10, server_settings={"application_name": application_name}
            )
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning(f"{purpose} listen connection failed", extra={"error": repr(exc)})
            await asyncio.sleep(backoff.next())


async def close_quietly(connection: asyncpg.Connection) -> None:
    """Close within 2 s, or drop the socket: a dying connection must not hold us up."""
    if connection.is_closed():
        return
    try:
        await asyncio.wait_for(connection.close(), 2)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        connection.terminate()


# What a lost, refused or unanswering connection raises.
CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class ChannelListener:
    """One connection LISTENing on `channel` for as long as `run()` runs.

    Subclasses say what a notification does (`notified`), what to do once listening
    (`listening`, given the event set when the connection is lost and the function
    that declares it lost) and when it is lost (`lost`: called at once from the
    connection's termination callback and again when the connection is closed, so it
    must be idempotent), and may ping otherwise (`ping`).
    """

    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        ping_every: float,
        backoff: Backoff,
        application_name: str,
        purpose: str,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._ping_every = ping_every
        self._backoff = backoff
        self._application_name = application_name
        self._purpose = purpose

    def notified(self, payload: str) -> None:
        raise NotImplementedError

    async def listening(
        self, connection: asyncpg.Connection, lost: asyncio.Event, gone: Callable[[], None]
    ) -> None:
        """The LISTEN is in place (notifications sent before it are gone)."""

    def lost(self) -> None:
        """The connection is gone or no longer trusted."""

    async def ping(self, connection: asyncpg.Connection) -> bool:
        """A quiet TCP connection can be dead without anyone noticing; ask it something."""
        try:
            await asyncio.wait_for(connection.fetchval("SELECT 1"), 10)
        except CONNECTION_ERRORS:
            return False
        return True

    async def run(self) -> None:
        """Listen until cancelled, reconnecting whenever the connection is lost."""
        while True:
            connection = await connect_with_backoff(
                self._dsn,
                application_name=self._application_name,
                backoff=self._backoff,
                purpose=self._purpose,
            )
            try:
                await self._listen(connection)
            finally:
                self.lost()
                await close_quietly(connection)
            log.warning(f"{self._purpose} listen connection lost; reconnecting")
            await asyncio.sleep(self._backoff.next())

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()

        def gone(*_: object) -> None:
            # At once, not when this task next runs: a listener that trusts its
            # notifications (a cache) must stop before one can be missed.
            lost.set()
            self.lost()

        connection.add_termination_listener(gone)
        try:
            await connection.add_listener(self._channel, self._received)
        except CONNECTION_ERRORS:
            return
        self._backoff.reset()
        await self.listening(connection, lost, gone)
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self._ping_every)
            if lost.is_set() or not await self.ping(connection):
                return

    def _received(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self.notified(payload)
