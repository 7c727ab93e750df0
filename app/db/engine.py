"""The async engine and session factory; created once, in the composition root.

Liveness of pooled connections: SQLAlchemy's `pool_pre_ping` pings before every
checkout (on asyncpg `BEGIN`, `;`, `ROLLBACK`: three round trips and about 0.9 ms of
CPU per transaction). Instead, a checkout asks the driver whether the connection is
closed (free: a server restart or a terminated backend closes the socket, and the
event loop has seen it by the time the connection sat in the pool), and pings only a
connection that sat idle longer than `IDLE_PING_AFTER` (a silent network loss shows
nowhere else). Either failure invalidates the whole pool, as pre-ping did: after a
restart every pooled connection is dead. What is left is a connection that dies
between its check and its first statement: that fails one transaction (a 503, or a
consumer's transient retry), and the disconnect invalidates the pool.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.util import await_

from app.db.unit_of_work import UnitOfWork

# A connection idle in the pool longer than this is pinged before it is handed out.
IDLE_PING_AFTER = 5.0
# A ping that hangs (a silent network loss) fails the checkout instead of the request.
PING_TIMEOUT = 5.0
_CHECKED_IN_AT = "inventory_checked_in_at"
CLIENT_CHECK_INTERVAL = "250ms"


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    application_name: str = "inventory",
    idle_ping_after: float = IDLE_PING_AFTER,
    ping_timeout: float = PING_TIMEOUT,
    pool_timeout: float = 10,
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # A database that hangs instead of refusing must still fail fast (503, retry).
        connect_args={
            "server_settings": {
                "application_name": application_name,
                # A statement whose connection was closed under it (a read cut short is
                # closed, not pooled: graphql_schema/reads.py) stops within this, its
                # locks released, instead of running to its end (PostgreSQL 14+).
                "client_connection_check_interval": CLIENT_CHECK_INTERVAL,
            },
            "timeout": 5,
        },
        pool_timeout=pool_timeout,
    )
    event.listen(engine.sync_engine.pool, "checkin", _checked_in)
    event.listen(
        engine.sync_engine.pool, "checkout", _liveness_check(idle_ping_after, ping_timeout)
    )
    return engine


def _checked_in(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_CHECKED_IN_AT] = time.monotonic()


def _liveness_check(
    idle_ping_after: float, ping_timeout: float
) -> Callable[[Any, ConnectionPoolEntry, PoolProxiedConnection], None]:
    def check_alive(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        """Raise DisconnectionError for a dead pooled connection: the pool replaces it.

        Runs inside SQLAlchemy's greenlet (every async checkout does), so the idle ping
        may await the driver. A new connection has no check-in time and needs no check.
        """
        driver = record.driver_connection
        if driver is None or driver.is_closed():
            raise exc.InvalidatePoolError("pooled connection found closed")
        if driver.is_in_transaction():
            # Never expected (a transaction ends before its connection is returned),
            # but a connection handed out mid-transaction would mix two units of work.
            raise exc.DisconnectionError("pooled connection found inside a transaction")
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_ping_after:
            return
        try:
            # `;` by the simple query protocol: one round trip, no transaction or statement.
            await_(driver.execute(";", timeout=ping_timeout))
        except Exception as error:
            raise exc.InvalidatePoolError(
                f"idle pooled connection failed a ping: {error!r}"
            ) from error

    return check_alive


def create_session_factory(engine: AsyncEngine) -> UnitOfWork:
    return UnitOfWork(engine)
