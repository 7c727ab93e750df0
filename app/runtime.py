"""The process's shared resources, created once by the lifespan (the composition root)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.identity import Identity
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.unit_of_work import UnitOfWork
from app.embedded import EmbeddedPostgres
from app.realtime.lifespan import Realtime
from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Database:
    url: str
    engine: AsyncEngine
    sessions: UnitOfWork
    embedded: EmbeddedPostgres | None = None


class ProcessState(Protocol):
    """What /healthz, /readyz and /metrics read: every process type has it."""

    settings: Settings
    database: Database
    extras: dict[str, Any]


@dataclass
class ProcessResources:
    """A process without the API (consume, relay): settings, database, readiness checks."""

    settings: Settings
    database: Database
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Runtime:
    """What every entry point shares; subsystems hang their handles in `extras`."""

    settings: Settings
    database: Database
    identity: Identity
    extras: dict[str, Any] = field(default_factory=dict)
    # The subscriptions' hub (and its Kafka consumer); set by the app's lifespan.
    realtime: Realtime | None = None


async def resolve_database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """DATABASE_URL, or an embedded PostgreSQL in DATA_DIR when it is not set."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir / "postgres")
    url = await anyio.to_thread.run_sync(embedded.start)
    log.info("embedded PostgreSQL started", extra={"data_dir": str(embedded.data_dir)})
    return url, embedded


class DatabaseUnreachable(RuntimeError):
    """The configured database refused or did not answer; the message names it."""


def describe_url(url: str) -> str:
    """host:port/db of a database URL, without credentials."""
    parts = urlsplit(url)
    where = parts.hostname or parse_qs(parts.query).get("host", ["local socket"])[0]
    port = f":{parts.port}" if parts.port else ""
    return f"{where}{port}{parts.path}"


async def check_database(url: str, *, within_seconds: float = 5) -> None:
    """Raise DatabaseUnreachable unless a connection can be opened now."""
    engine = create_engine(url, pool_size=1, application_name="inventory-preflight")
    try:
        async with asyncio.timeout(within_seconds), engine.connect():
            pass
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise DatabaseUnreachable(
            f"cannot reach the database at {describe_url(url)} (DATABASE_URL): "
            f"{reason[0] if reason else type(exc).__name__}"
        ) from None
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def open_database(
    settings: Settings, *, migrate: bool | None = None, application_name: str = "inventory"
) -> AsyncIterator[Database]:
    url, embedded = await resolve_database_url(settings)
    try:
        if settings.migrate_on_start if migrate is None else migrate:
            # Migrating needs the database now; without it, serve starts and /readyz waits.
            await check_database(url)
            await anyio.to_thread.run_sync(upgrade_to_head, url)
        engine = create_engine(
            url, pool_size=settings.database_pool_size, application_name=application_name
        )
        try:
            yield Database(url, engine, create_session_factory(engine), embedded)
        finally:
            await engine.dispose()
    finally:
        if embedded is not None:
            await anyio.to_thread.run_sync(embedded.stop)
