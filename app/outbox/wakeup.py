"""LISTEN inventory_outbox: wake the relay as soon as a transaction with outbox rows commits.

The outbox table's statement trigger runs `pg_notify('inventory_outbox', '')`,
which PostgreSQL delivers at commit. The connection is our own (not the
engine's pool) and is re-opened when it drops; every (re)connect also wakes the
relay, because notifications sent while nobody listened are gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]

from app.db.listen_connections import Backoff, ChannelListener

log = logging.getLogger(__name__)

CHANNEL = "inventory_outbox"


class OutboxListener(ChannelListener):
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
        super().__init__(
            dsn,
            CHANNEL,
            ping_every=ping_every,
            backoff=Backoff(0.2, retry_cap),
            application_name=application_name,
            purpose="outbox",
        )
        self._wake = wake
        self.connected = asyncio.Event()

    def notified(self, payload: str) -> None:
        self._wake.set()

    async def listening(
        self, connection: asyncpg.Connection, lost: asyncio.Event, gone: Callable[[], None]
    ) -> None:
        self.connected.set()
        self._wake.set()

    def lost(self) -> None:
        self.connected.clear()
