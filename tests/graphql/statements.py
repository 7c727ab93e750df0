"""Counting the SQL statements a piece of work sends, whichever way it sends them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.driver import DriverStatement


@contextmanager
def counted_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The statements run through SQLAlchemy (its cursor event) and those a DriverStatement
    runs on asyncpg itself (app/db/driver.py, DATABASE_DRIVER_STATEMENTS on: they go past
    SQLAlchemy's events; the stocks page is read so)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    fetch = DriverStatement.fetch

    async def counted_fetch(self: DriverStatement, connection: Any, params: Any) -> Any:
        if isinstance(connection, asyncpg.Connection):
            statements.append(self.sql)  # otherwise SQLAlchemy runs it, and its event counts
        return await fetch(self, connection, params)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    DriverStatement.fetch = counted_fetch  # type: ignore[method-assign]
    try:
        yield statements
    finally:
        DriverStatement.fetch = fetch  # type: ignore[method-assign]
        event.remove(engine.sync_engine, "before_cursor_execute", count)
