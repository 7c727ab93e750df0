"""The pool's liveness policy (no pre-ping): dead pooled connections never reach a caller.

A backend the server terminated is seen closed at checkout and replaced; a connection
idle longer than `idle_ping_after` whose peer went silent fails its ping (bounded by
`ping_timeout`) and is replaced instead of hanging the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import create_engine
from app.embedded import free_port


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_a_terminated_backend_is_replaced_at_checkout(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, application_name="liveness-test")
    try:
        first = await _backend_pid(engine)
        admin = await asyncpg.connect(_plain(database_url))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the server's close reaches the idle pooled socket
        second = await _backend_pid(engine)
    finally:
        await engine.dispose()
    assert second != first


class _SilencingProxy:
    """Forwards to PostgreSQL; `silence()` stops forwarding on open connections, which
    stay open (a peer gone without a word); later connections are forwarded again."""

    def __init__(self, database_url: str) -> None:
        self._target = make_url(database_url)
        self.port = free_port()
        self._pipes: set[asyncio.Task[None]] = set()
        self._held: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return self._target.set(host="127.0.0.1", port=self.port, query={}).render_as_string(
            hide_password=False
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        socket_dir = self._target.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            path = f"{socket_dir}/.s.PGSQL.{self._target.port or 5432}"
            up_reader, up_writer = await asyncio.open_unix_connection(path)
        else:
            up_reader, up_writer = await asyncio.open_connection(
                self._target.host, self._target.port or 5432
            )
        self._held += [writer, up_writer]
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    def silence(self) -> None:
        for task in list(self._pipes):
            task.cancel()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        try:
            yield
        finally:
            server.close()
            self.silence()
            for writer in self._held:
                writer.transport.abort()
            await server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()  # the peer closed: pass it on (a silenced pipe never gets here)


@pytest.mark.timeout(60)
async def test_an_idle_connection_whose_peer_went_silent_is_replaced(database_url: str) -> None:
    proxy = _SilencingProxy(database_url)
    async with proxy.running():
        engine = create_engine(
            proxy.url,
            pool_size=1,
            application_name="liveness-test",
            idle_ping_after=0.0,
            ping_timeout=0.5,
        )
        try:
            first = await _backend_pid(engine)
            proxy.silence()
            second = await asyncio.wait_for(_backend_pid(engine), timeout=20)
        finally:
            await engine.dispose()
    assert second != first
