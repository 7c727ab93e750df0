"""Dedicated LISTEN connections: opened outside the engine's pool, reopened with backoff.

Both listeners (the relay's wake-up, the caches' data versions) hold one plain asyncpg
connection for the life of the process; a pooled connection would be handed back and
lose its LISTEN.
"""

from __future__ import annotations

import asyncio
import logging
import random

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
