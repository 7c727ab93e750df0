"""Liveness and readiness routes (no auth, not under /v1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.protocol.metadata import MetadataRequest
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.db.migrate import current_revision, head_revision
from app.runtime import ProcessState

# Returns None when ready, else one line naming what is wrong.
ReadinessCheck = Callable[[ProcessState], Awaitable[str | None]]
CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database_check(runtime: ProcessState) -> str | None:
    try:
        async with asyncio.timeout(2), runtime.database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            revision = await current_revision(connection)
    except Exception as exc:
        return f"database unreachable: {type(exc).__name__}"
    head = head_revision()
    if revision != head:
        return f"migrations not at head (database {revision}, code {head})"
    return None


async def _broker_check(runtime: ProcessState) -> str | None:
    """When Kafka is configured: some bootstrap server answers a metadata request."""
    servers = runtime.settings.kafka_bootstrap_servers
    if not servers:
        return None
    errors: list[str] = []
    for host, port, _ in collect_hosts(servers):
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                connection = await create_conn(
                    host, port, request_timeout_ms=int(CHECK_TIMEOUT_SECONDS * 1000)
                )
                try:
                    await connection.send(MetadataRequest([]))
                finally:
                    connection.close()
            return None
        except Exception as exc:
            errors.append(type(exc).__name__)
    return f"Kafka broker unreachable at {servers} ({', '.join(sorted(set(errors)))})"


def register_readiness_check(runtime: ProcessState, check: ReadinessCheck) -> None:
    """Make /readyz also ask `check` (a subsystem started in this process)."""
    runtime.extras.setdefault("readiness_checks", []).append(check)


def register_consumers(runtime: ProcessState, name: str, running: Callable[[], bool]) -> None:
    """Consumers running in this process: /readyz fails once `running()` turns false.

    The consume runner (or `inventory dev`) calls it with e.g.
    `lambda: not task.done()` for the task that runs its `ConsumerRunner`.
    """

    async def consumers_check(runtime: ProcessState) -> str | None:
        return None if running() else f"consumers {name} are not running"

    register_readiness_check(runtime, consumers_check)


def readiness_checks(runtime: ProcessState) -> list[ReadinessCheck]:
    """The database and the broker; subsystems (consumers) register more in `extras`."""
    extra: list[ReadinessCheck] = runtime.extras.get("readiness_checks", [])
    return [_database_check, _broker_check, *extra]


async def readyz(request: Request) -> JSONResponse:
    runtime: ProcessState = request.app.state.runtime
    answers = await asyncio.gather(*(check(runtime) for check in readiness_checks(runtime)))
    problems = [problem for problem in answers if problem]
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ok"})


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
