"""/healthz, /readyz and /metrics for the processes that serve no API (consume, relay).

`inventory serve` has these routes on its own port. A separate `consume` or `relay`
process would otherwise be invisible to Prometheus and to an orchestrator's probes,
although its consumer lag, dead letters and outbox backlog are what an operator
watches most. With METRICS_PORT (or `--metrics-port`) it serves the same three routes,
answered by the same code as serve's, from the process's own default registry.

The socket is bound before anything else starts, so a port already in use is a clear
startup error rather than a dead endpoint, and the process's own SIGTERM handling
(finish the batch, commit, leave the group) stays in charge: uvicorn is told not to
take the signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette

from app import health, metrics
from app.runtime import ProcessState

log = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 5.0


class OperationsPortUnavailable(RuntimeError):
    """The port could not be bound; the message names host and port."""


def operations_app(state: ProcessState) -> Starlette:
    app = Starlette(routes=[*health.routes, *metrics.routes])
    app.state.runtime = state
    return app


class _SignalFreeServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The command owns SIGTERM and SIGINT: a graceful stop of its work, then of this.
        yield


def _bind(host: str, port: int) -> socket.socket:
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as exc:
        raise OperationsPortUnavailable(
            f"cannot serve /metrics on {host}:{port} (METRICS_PORT): {exc.strerror or exc}"
        ) from None


@contextlib.asynccontextmanager
async def operations_endpoint(state: ProcessState) -> AsyncIterator[int | None]:
    """Serve the three routes while the block runs when METRICS_PORT is set; yields the port."""
    port = state.settings.metrics_port
    if port is None:
        yield None
        return
    host = state.settings.metrics_host
    listening = _bind(host, port)
    config = uvicorn.Config(
        operations_app(state), lifespan="off", access_log=False, log_config=None
    )
    server = _SignalFreeServer(config)
    task = asyncio.create_task(server.serve(sockets=[listening]), name="operations-endpoint")
    log.info("serving /healthz, /readyz and /metrics", extra={"host": host, "port": port})
    try:
        yield listening.getsockname()[1]
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            task.cancel()
        listening.close()
