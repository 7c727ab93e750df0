"""The real app (create_app: lifespan, relay, realtime consumer) served by uvicorn in this loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from app.asgi import create_app
from app.embedded import free_port
from app.fast_paths import websocket_protocol
from app.realtime.hub import RealtimeHub
from app.runtime import Runtime
from app.settings import Settings


@dataclass
class RunningApp:
    app: Starlette
    port: int
    server: uvicorn.Server

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    @property
    def hub(self) -> RealtimeHub:
        assert self.runtime.realtime is not None
        return self.runtime.realtime.hub

    async def subscribers(self, count: int, within: float = 10.0) -> None:
        """Wait until the hub holds `count` subscriptions (the server side is listening)."""
        async with asyncio.timeout(within):
            while self.hub.subscriber_count != count:  # noqa: ASYNC110 (a test's poll)
                await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running_app(settings: Settings, port: int | None = None) -> AsyncIterator[RunningApp]:
    app = create_app(settings)
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        ws=websocket_protocol(settings),
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(60):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.02)
        running = RunningApp(app, port, server)
        realtime = running.runtime.realtime
        if realtime is not None and realtime.consumer is not None:
            await asyncio.wait_for(realtime.consumer.ready.wait(), 60)
        yield running
    finally:
        server.should_exit = True
        await task
