"""LISTEN inventory_outbox: wake the relay as soon as a transaction with outbox rows commits.

The outbox table's statement trigger runs `pg_notify('inventory_outbox', '')`,
which PostgreSQL delivers at commit. The connection is our own (not the
engine's pool) and is re-opened when it drops; every (re)connect also wakes the
relay, because notifications sent while nobody listened are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg  # type: ignore[import-untyped]

from app.db.listen_connections import Backoff, close_quietly, connect_with_backoff

log = logging.getLogger(__name__)

CHANNEL = "inventory_outbox"


class OutboxListener:
    """Keeps one LISTEN connection open and sets `wake` on every notification."""

    def __init__(
        self,
        dsn: str,
        wake: asyncio.Event,
        *,
        ping_every: float = 30.0,
        retry_cap: float = 10.0,
        application_name: str = "inventory-relay-listen",
    ) -> None:
        self._dsn = dsn
        self._wake = wake
        self._ping_every = ping_every
        self._backoff = Backoff(0.2, retry_cap)
        self._application_name = application_name
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Listen until cancelled, reconnecting whenever the connection is lost."""
        while True:
            connection = await connect_with_backoff(
                self._dsn,
                application_name=self._application_name,
                backoff=self._backoff,
                purpose="outbox",
            )
            try:
                await self._listen(connection)
            finally:
                self.connected.clear()
                await close_quietly(connection)
            log.warning("outbox listen connection lost; reconnecting")

    async def _listen(self, connection: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, asyncpg.PostgresError):
            return
        self._backoff.reset()
        self.connected.set()
        self._wake.set()
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self._ping_every)
            if lost.is_set() or not await _answers(connection):
                return

    def _notified(self, *_: object) -> None:
        self._wake.set()


async def _answers(connection: asyncpg.Connection) -> bool:
    """A quiet TCP connection can be dead without anyone noticing; ask it something."""
    try:
        await asyncio.wait_for(connection.fetchval("SELECT 1"), 10)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        return False
    return True
