"""Per-merchant data versions, bumped by the commits that change what GraphQL reads.

Migration 0003's triggers send each changed merchant's id on `inventory_merchant_data`
at commit ('*' after a TRUNCATE). One dedicated connection per process LISTENs
(reconnecting with backoff, pinging a quiet connection so a dead one is noticed) and
bumps that merchant's version here. Caches of merchant data (graphql_schema/
response_cache.py) keep an entry only while the version it was computed at is current.

While not listening — before the first LISTEN, after the connection drops, until the
next LISTEN succeeds — `token()` is None and caches must not serve nor store: a
notification may be missed. Every (re)connect and every loss bumps the generation,
so nothing computed across a gap is kept.

`sync()` waits until every notification of a transaction committed before the call
has arrived: a query on the listening connection is answered after PostgreSQL has
sent the notifications that were pending for it (see DataVersions.sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg  # type: ignore[import-untyped]

from app.db.listen_connections import (
    CONNECTION_ERRORS,
    Backoff,
    ChannelListener,
    listen_dsn,
)

log = logging.getLogger(__name__)

CHANNEL = "inventory_merchant_data"
# Where the serving process keeps its DataVersions (Runtime.extras).
EXTRAS_KEY = "data_versions"
EVERY_MERCHANT = "*"

# What a cache compares: (generation, the merchant's version).
Token = tuple[int, int]


class DataVersions:
    """The versions; `listening` only while a LISTEN connection is up."""

    def __init__(self) -> None:
        self._versions: dict[uuid.UUID, int] = {}
        self._generation = 0
        self.listening = False
        self._on_reset: list[Callable[[], None]] = []
        self._sync: Callable[[], Awaitable[None]] | None = None

    def token(self, merchant_id: uuid.UUID) -> Token | None:
        if not self.listening:
            return None
        return self._generation, self._versions.get(merchant_id, 0)

    def bump(self, merchant_id: uuid.UUID) -> None:
        self._versions[merchant_id] = self._versions.get(merchant_id, 0) + 1

    def bump_all(self) -> None:
        """Everything cached is stale (a TRUNCATE, or notifications may have been missed)."""
        self._generation += 1
        self._versions.clear()
        for reset in self._on_reset:
            reset()

    def on_reset(self, reset: Callable[[], None]) -> None:
        """Call `reset` (e.g. a cache's clear) whenever every merchant's data may have changed."""
        self._on_reset.append(reset)

    def notified(self, payload: str) -> None:
        if payload == EVERY_MERCHANT:
            self.bump_all()
            return
        try:
            merchant_id = uuid.UUID(payload)
        except ValueError:
            log.warning("unexpected merchant data notification", extra={"payload": payload[:64]})
            self.bump_all()
            return
        self.bump(merchant_id)

    def connected(self, sync: Callable[[], Awaitable[None]]) -> None:
        self.bump_all()
        self._sync = sync
        self.listening = True

    def disconnected(self) -> None:
        self.listening = False
        self._sync = None
        self.bump_all()

    async def sync(self) -> None:
        """Return once notifications committed before this call have been applied.

        A no-op while not listening (caches are bypassed then anyway).
        """
        sync = self._sync
        if sync is not None:
            with contextlib.suppress(Exception):
                await sync()


class DataVersionListener(ChannelListener):
    """Keeps one connection LISTENing on CHANNEL and feeds `versions`."""

    def __init__(
        self,
        dsn: str,
        versions: DataVersions,
        *,
        ping_every: float = 10.0,
        retry_cap: float = 5.0,
        application_name: str = "inventory-data-versions",
    ) -> None:
        super().__init__(
            dsn,
            CHANNEL,
            ping_every=ping_every,
            backoff=Backoff(0.1, retry_cap),
            application_name=application_name,
            purpose="data version",
        )
        self._versions = versions
        self._syncer: _Syncer | None = None
        self.connection_pid: int | None = None

    def notified(self, payload: str) -> None:
        self._versions.notified(payload)

    async def listening(
        self, connection: asyncpg.Connection, lost: asyncio.Event, gone: Callable[[], None]
    ) -> None:
        self.connection_pid = connection.get_server_pid()
        self._syncer = _Syncer(connection, lost, gone)
        self._versions.connected(self._syncer.sync)

    def lost(self) -> None:
        # Caches are bypassed until the next LISTEN is in place.
        self._versions.disconnected()
        self._syncer = None
        self.connection_pid = None

    async def ping(self, connection: asyncpg.Connection) -> bool:
        # Through the syncer: its round trips are serialised on this connection.
        if self._syncer is None:
            return False
        try:
            await self._syncer.sync()
        except CONNECTION_ERRORS:
            return False
        return True


class _Syncer:
    """Round trips on the listening connection, one at a time, shared by waiters.

    PostgreSQL sends a listening backend's pending notifications before it answers
    its next query, and asyncpg runs notification callbacks (call_soon) before the
    task awaiting that answer resumes; so once a `SELECT 1` sent after a commit is
    answered, that commit's notification has been applied. A waiter is covered by
    any round trip that started after it asked.
    """

    def __init__(
        self, connection: asyncpg.Connection, lost: asyncio.Event, gone: Callable[[], None]
    ) -> None:
        self._connection = connection
        self._lost = lost
        self._gone = gone
        self._lock = asyncio.Lock()
        self._asked = 0
        self._answered = 0

    async def sync(self) -> None:
        self._asked += 1
        # Shielded: a caller that goes away must not cancel a query halfway on this
        # connection (the next round trip would find it busy).
        await asyncio.shield(self._round_trip(self._asked))

    async def _round_trip(self, ticket: int) -> None:
        async with self._lock:
            if self._answered >= ticket or self._lost.is_set():
                return
            covered = self._asked
            try:
                await asyncio.wait_for(self._connection.fetchval("SELECT 1"), 5)
            except Exception:
                # Unanswered: notifications may be stuck or lost; stop trusting the cache.
                self._gone()
                raise
            self._answered = covered
        # Let the notification callbacks scheduled with the answer run first.
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def maybe_listening(database_url: str, *, wanted: bool) -> AsyncIterator[DataVersions | None]:
    """`listening_data_versions` when something caches merchant data, else None."""
    if not wanted:
        yield None
        return
    async with listening_data_versions(database_url) as (versions, _listener):
        yield versions


@contextlib.asynccontextmanager
async def listening_data_versions(
    database_url: str, versions: DataVersions | None = None
) -> AsyncIterator[tuple[DataVersions, DataVersionListener]]:
    """Versions fed by a listener task for the block's duration (the caches' lifespan)."""
    versions = versions or DataVersions()
    listener = DataVersionListener(listen_dsn(database_url), versions)
    task = asyncio.create_task(listener.run(), name="data-version-listener")
    try:
        yield versions, listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        versions.disconnected()
