"""The service's commands as real processes: start, wait until ready, kill -9, stop.

Every process gets an explicit environment (nothing inherited from the developer's
services), logs to a file of the test's own, and is killed at teardown whatever
happened. Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from app.embedded import free_port

STARTUP_SECONDS = 90.0
# Settings the processes must not pick up from the test runner's environment.
_DROPPED = (
    "DATABASE_",
    "KAFKA_",
    "IDENTITY_",
    "REDIS_",
    "BROADCAST_",
    "ENVIRONMENT",
    "RUN_",
    "OUTBOX_",
    "LOG_LEVEL",
    "DATA_DIR",
    "MIGRATE_ON_START",
)


def inventory(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli.main", *args]


def clean_env(**settings: str) -> dict[str, str]:
    """The runner's environment without service settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    env.update(settings)
    return env


@dataclass
class ServiceProcess:
    """One `inventory <command>` process and its log."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def url(self) -> str:
        assert self.port is not None, f"{self.name} serves no HTTP"
        return f"http://127.0.0.1:{self.port}"

    def log(self, tail: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-tail:]

    def log_count(self, text: str) -> int:
        """Log lines containing `text` (how often a process retried, reconnected, ...)."""
        return sum(text in line for line in self.log(tail=10**8).splitlines())

    def kill9(self) -> None:
        """SIGKILL: no finally blocks, no offset commit, no goodbye to the group."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, grace: float = 30.0) -> int:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def wait_for_log(self, text: str, timeout: float = STARTUP_SECONDS) -> float:
        """Seconds until `text` appears in the log (fails if the process exits first)."""
        started = time.monotonic()
        while text not in self.log(tail=10**7):
            if not self.alive:
                raise AssertionError(f"{self.name} exited {self.process.returncode}: {self.log()}")
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{self.name} never logged {text!r}: {self.log()}")
            time.sleep(0.1)
        return time.monotonic() - started

    def wait_http_ready(self, timeout: float = STARTUP_SECONDS, path: str = "/healthz") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise AssertionError(f"{self.name} exited {self.process.returncode}: {self.log()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout}s: {self.log()}")


@dataclass
class Processes:
    """Starts service processes for one test and kills every one of them at the end."""

    log_dir: Path
    base_env: Mapping[str, str]
    started: list[ServiceProcess] = field(default_factory=list)

    def start(self, name: str, *args: str, **env: str) -> ServiceProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}-{len(self.started)}.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                inventory(*args),
                env=clean_env(**{**self.base_env, **env}),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = ServiceProcess(name, process, log_path)
        self.started.append(started)
        return started

    def serve(self, **env: str) -> ServiceProcess:
        """`inventory serve` on a free port, waited for until /healthz answers."""
        port = free_port()
        app = self.start("serve", "serve", "--host", "127.0.0.1", "--port", str(port), **env)
        app.port = port
        app.wait_http_ready()
        return app

    def consume(self, *args: str, **env: str) -> ServiceProcess:
        return self.start("consume", "consume", *args, **env)

    def relay(self, *args: str, **env: str) -> ServiceProcess:
        return self.start("relay", "relay", *args, **env)

    def kill_all(self) -> None:
        for started in self.started:
            if started.alive:
                started.process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    started.process.wait(10)


@contextlib.contextmanager
def processes(log_dir: Path, **base_env: str) -> Iterator[Processes]:
    running = Processes(log_dir, base_env)
    try:
        yield running
    finally:
        running.kill_all()
