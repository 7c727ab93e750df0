"""Telling a database that is away (retry later, 503) from a query that is wrong (a bug)."""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]
import sqlalchemy.exc

_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    sqlalchemy.exc.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def is_database_unavailable(error: BaseException) -> bool:
    """A refused, lost or exhausted connection (retrying may succeed), not a bad query."""
    seen: set[int] = set()
    current: Any = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if isinstance(current, sqlalchemy.exc.DBAPIError) and current.connection_invalidated:
            return True
        # asyncpg reports a connection lost mid-query this way; other InterfaceErrors are bugs.
        if isinstance(current, asyncpg.InterfaceError) and "connection is closed" in str(current):
            return True
        # SQLSTATE 55000 at connect: the database refuses connections (maintenance,
        # ALLOW_CONNECTIONS false); the same state mid-query is a bug, not an outage.
        if isinstance(
            current, asyncpg.ObjectNotInPrerequisiteStateError
        ) and "accepting connections" in str(current):
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False
