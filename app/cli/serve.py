"""`inventory serve`: the ASGI app (GraphQL, /v1, health, metrics)."""

from __future__ import annotations

import argparse
import asyncio
import gc

import uvicorn

from app.fast_paths import websocket_protocol
from app.listener import bind_or_explain
from app.logs import configure_logging
from app.runtime import check_database
from app.settings import load_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve GraphQL, /v1 REST, /healthz, /readyz and /metrics",
        description="Serve the HTTP and websocket API. With no DATABASE_URL an embedded "
        "PostgreSQL is started in DATA_DIR; migrations run first when MIGRATE_ON_START is true.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Before any startup work: a taken port is one line, not a started-then-failed stack.
    listener = bind_or_explain("serve", args.host, args.port)
    if listener is None:
        return 2
    with listener:
        configure_logging(settings.log_level, settings.log_format)
        if settings.database_url and settings.migrate_on_start:
            # Fail with one line before uvicorn, whose lifespan would log a stack trace.
            asyncio.run(check_database(settings.database_url))
        from app.asgi import create_app

        app = create_app(settings)
        freeze_startup_objects()
        # loop and http stay "auto": uvloop and httptools (uvicorn[standard]) when installed.
        config = uvicorn.Config(
            app,
            log_config=None,
            timeout_graceful_shutdown=10,
            # uvicorn's websockets-sansio, writing the frames of one loop turn together.
            ws=websocket_protocol(settings),
            # Stock events are a few hundred bytes: compressing each costs more than it saves.
            ws_per_message_deflate=False,
        )
        uvicorn.Server(config).run(sockets=[listener])
    return 0


# Young objects collected after this many allocations (Python's default: 700). A page of
# 100 stocks allocates a few thousand per request; with 50 requests in flight the default
# kept collecting and promoting live pages (1-3 ms of CPU a request on the benchmark).
YOUNG_GENERATION_THRESHOLD = 10_000


def freeze_startup_objects() -> None:
    """Keep what startup built (modules, the GraphQL schema, ~160k objects) out of the
    garbage collector's full passes, which otherwise walk all of it every few dozen
    requests (about 1 ms a request on a page of 100 stocks), and collect young objects
    less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
