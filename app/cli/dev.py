"""`inventory dev`: the whole stack in one process, seeded, with a token to try it.

One process, one event loop: the embedded PostgreSQL and the tansu broker are its
child servers; uvicorn serves the app (whose lifespan runs the outbox relay and
the realtime consumer) and the Kafka consumers run as a task beside it. SIGINT
or SIGTERM stops them in order — HTTP and websockets (closed with 1012), the
relay's batch in flight, the consumers' batch and its offsets — then the broker,
then PostgreSQL. A second Ctrl-C skips waiting for open connections.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
import uvicorn
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

from app.auth.dev import load_or_create_signing_key
from app.cli import dev_state
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.dev_catalog import DEMO_MERCHANT_ID, MAIN
from app.dev_seed import DemoMerchant, seed_demo
from app.embedded import EmbeddedBroker, EmbeddedPostgres, EmbeddedUnavailable, broker_binary
from app.fast_paths import apply_fast_paths, websocket_protocol
from app.health import register_consumers
from app.kafka.client import ensure_topics
from app.listener import bind_or_explain
from app.logs import configure_logging
from app.settings import Settings, SettingsError, load_settings
from consumers.handlers import handlers_for
from consumers.runner import ConsumerRunner

TOKEN_TTL = timedelta(hours=12)
STOP_GRACE_SECONDS = 15.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="run the whole stack locally, seeded with a demo merchant, and print a token",
        description="Start everything in this one process with no configuration: an embedded "
        "PostgreSQL in DATA_DIR (unless DATABASE_URL is set), a local in-memory Kafka-protocol "
        "broker when tansu is installed (unless KAFKA_BOOTSTRAP_SERVERS is set), the API with "
        "GraphiQL, the Kafka consumers, the outbox relay and the development identity. Seeds "
        "the demo merchant (idempotent), then prints the GraphQL URL, the Kafka bootstrap "
        "address, an owner token and a subscription to paste. Ctrl-C or SIGTERM shuts "
        "everything down cleanly. The local broker forgets its topics when it stops.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--no-broker",
        action="store_true",
        help="start no local broker even when tansu is installed: no consumers, and "
        "events wait in the outbox (KAFKA_BOOTSTRAP_SERVERS, when set, is still used)",
    )
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="JSON log level on stderr (default LOG_LEVEL when set, else WARNING so the "
        "banner stays readable)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.is_production:
        raise SettingsError("ENVIRONMENT=production: `inventory dev` is for development only")
    explicit = "log_level" in settings.model_fields_set
    configure_logging(
        args.log_level or (settings.log_level if explicit else "WARNING"), settings.log_format
    )
    listener = bind_or_explain("dev", args.host, args.port)
    if listener is None:
        return 2
    try:
        return asyncio.run(DevStack(settings, args, listener).run())
    except EmbeddedUnavailable as exc:
        print(f"inventory dev: {exc}", file=sys.stderr)
        return 2
    except (OSError, DBAPIError) as exc:
        print(
            f"inventory dev: the database at DATABASE_URL is unreachable ({_reason(exc)})",
            file=sys.stderr,
        )
        return 2
    except KafkaError as exc:
        print(
            f"inventory dev: the Kafka broker at KAFKA_BOOTSTRAP_SERVERS is unreachable "
            f"({_reason(exc)})",
            file=sys.stderr,
        )
        return 2
    finally:
        listener.close()


def _reason(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return type(cause).__name__


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The dev stack owns SIGINT/SIGTERM and stops the server itself.
        yield


class DevStack:
    def __init__(self, settings: Settings, args: argparse.Namespace, listener: socket.socket):
        self.settings = settings
        self.args = args
        self.listener = listener
        self.stopping = asyncio.Event()
        self.server: _Server | None = None
        self.database = "DATABASE_URL"
        self.broker = "none: events wait in the outbox, no consumers run"

    def _on_signal(self) -> None:
        if self.stopping.is_set() and self.server is not None:
            self.server.force_exit = True
        self.stopping.set()

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal)
        async with contextlib.AsyncExitStack() as stack:
            await self._start_database(stack)
            if not self.stopping.is_set():
                self._start_broker(stack)
            if self.stopping.is_set():
                return 0
            return await self._serve(stack)
        return 0  # pragma: no cover - the exit stack never swallows

    async def _start_database(self, stack: contextlib.AsyncExitStack) -> None:
        if self.settings.database_url is None:
            embedded = EmbeddedPostgres(self.settings.data_dir / "postgres")
            url = await anyio.to_thread.run_sync(embedded.start)
            stack.push_async_callback(anyio.to_thread.run_sync, embedded.stop)
            self.settings = self.settings.model_copy(update={"database_url": url})
            self.database = f"embedded, data in {embedded.data_dir}"
        assert self.settings.database_url is not None
        await anyio.to_thread.run_sync(upgrade_to_head, self.settings.database_url)

    def _start_broker(self, stack: contextlib.AsyncExitStack) -> None:
        if self.settings.kafka_bootstrap_servers:
            self.broker = f"{self.settings.kafka_bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS)"
            return
        if self.args.no_broker:
            return
        if broker_binary() is None:
            self.broker = "none (tansu is not installed): events wait in the outbox"
            return
        broker = EmbeddedBroker()
        stack.callback(broker.stop)
        bootstrap = broker.start()
        self.broker = f"{bootstrap} (local tansu broker, in memory)"
        # tansu has no idempotent producer.
        self.settings = self.settings.model_copy(
            update={"kafka_bootstrap_servers": bootstrap, "kafka_enable_idempotence": False}
        )

    async def _serve(self, stack: contextlib.AsyncExitStack) -> int:
        settings = self.settings.model_copy(update={"migrate_on_start": False})
        assert settings.database_url is not None
        apply_fast_paths(settings)
        engine = create_engine(settings.database_url, pool_size=5, application_name="inventory-dev")
        stack.push_async_callback(engine.dispose)
        demo = await seed_demo(create_session_factory(engine))
        if settings.kafka_bootstrap_servers and settings.kafka_create_topics:
            with _quiet("aiokafka"):  # an unreachable broker is reported once, by run()
                await ensure_topics(settings)

        from app.asgi import create_app

        app = create_app(settings)
        self.server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                # As serve: uvicorn's websockets-sansio, a loop turn's frames written together.
                ws=websocket_protocol(settings),
                timeout_graceful_shutdown=10,
                lifespan="on",
            )
        )
        tasks = {asyncio.create_task(self.server.serve([self.listener]), name="http")}
        runner: ConsumerRunner | None = None
        if settings.kafka_bootstrap_servers:
            runner = ConsumerRunner(settings, create_session_factory(engine), handlers_for())
            tasks.add(asyncio.create_task(runner.run(), name="consumers"))
        try:
            if not await self._wait_started(tasks):
                return 1
            consumers = next((t for t in tasks if t.get_name() == "consumers"), None)
            if consumers is not None:
                register_consumers(
                    app.state.runtime, "payments, kitchen, CDC", lambda: not consumers.done()
                )
            state = self._state(demo)
            dev_state.write(settings.data_dir, state)
            stack.callback(dev_state.remove, settings.data_dir)
            print(dev_state.banner(state, self.database, self.broker), flush=True)
            stop = asyncio.create_task(self.stopping.wait())
            done, _ = await asyncio.wait({stop, *tasks}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            failed = [t for t in done if t is not stop]
            for task in failed:
                _report_failure(task)
            return 1 if failed else 0
        finally:
            await self._stop(tasks, runner)

    async def _wait_started(self, tasks: set[asyncio.Task[Any]]) -> bool:
        assert self.server is not None
        while not self.server.started:
            if self.stopping.is_set() or any(t.done() for t in tasks):
                for task in tasks:
                    if task.done():
                        _report_failure(task)
                return False
            await asyncio.sleep(0.05)
        return True

    async def _stop(self, tasks: set[asyncio.Task[Any]], runner: ConsumerRunner | None) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if runner is not None:
            runner.stop()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _state(self, demo: DemoMerchant) -> dev_state.DevState:
        host, port = self.listener.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        token = None
        if not self.settings.identity_url:
            token = load_or_create_signing_key(self.settings.data_dir).issue_token(
                issuer=self.settings.identity_issuer,
                audience=self.settings.identity_audience,
                subject="dev-owner",
                merchant_id=DEMO_MERCHANT_ID,
                role="owner",
                ttl=TOKEN_TTL,
            )
        return dev_state.DevState(
            graphql_url=f"http://{shown}:{port}/graphql",
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            kafka_enable_idempotence=self.settings.kafka_enable_idempotence,
            token=token,
            demo=demo.as_json(),
            main_location_id=str(demo.locations[MAIN]),
        )


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _report_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    reason = f"{type(error).__name__}: {error}" if error else "stopped unexpectedly"
    print(f"inventory dev: {task.get_name()} failed ({reason}); shutting down", file=sys.stderr)
