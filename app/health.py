"""Liveness and readiness routes (no auth, not under /v1)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.db.migrate import current_revision, head_revision
from app.runtime import Runtime

ReadinessCheck = Callable[[Runtime], Awaitable[str | None]]


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database_check(runtime: Runtime) -> str | None:
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


def readiness_checks(runtime: Runtime) -> list[ReadinessCheck]:
    """The database first; subsystems (broker, consumers) register more in `extras`."""
    extra: list[ReadinessCheck] = runtime.extras.get("readiness_checks", [])
    return [_database_check, *extra]


async def readyz(request: Request) -> JSONResponse:
    runtime: Runtime = request.app.state.runtime
    problems = [p for p in [await check(runtime) for check in readiness_checks(runtime)] if p]
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ok"})


routes = [Route("/healthz", healthz), Route("/readyz", readyz)]
