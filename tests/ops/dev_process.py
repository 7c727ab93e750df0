"""`inventory dev` as a subprocess, and the clients a dashboard would use against it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from app.cli import dev_state
from app.embedded import free_port

STARTUP_SECONDS = 120.0


def dev_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test's environment minus any configured services: the dev stack picks its own."""
    dropped = ("DATABASE_", "KAFKA_", "IDENTITY_", "REDIS_", "BROADCAST_", "LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    env.update({"DATA_DIR": str(data_dir), "ENVIRONMENT": "development", **extra})
    return env


def inventory(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli.main", *args]


@dataclass
class DevProcess:
    process: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    log_dir: Path
    state: dev_state.DevState | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        assert self.state is not None
        assert self.state.token is not None
        return self.state.token

    def stdout(self) -> str:
        return (self.log_dir / "dev.out").read_text()

    def stderr(self) -> str:
        return (self.log_dir / "dev.err").read_text()

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"inventory dev exited {self.process.returncode}: {self.stderr()[-2000:]}"
                )
            self.state = dev_state.read(self.data_dir)
            if self.state is not None and self.state.pid == self.process.pid:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{self.http_url}/readyz", timeout=2).status_code == 200:
                        return
            time.sleep(0.2)
        raise AssertionError(f"inventory dev not ready after {timeout}s: {self.stderr()[-2000:]}")

    def terminate(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError("inventory dev did not stop within its grace time") from None


def start_dev(data_dir: Path, log_dir: Path, **env: str) -> DevProcess:
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / "dev.out").open("wb") as out, (log_dir / "dev.err").open("wb") as err:
        process = subprocess.Popen(
            inventory("dev", "--port", str(port)),
            env=dev_env(data_dir, **env),
            stdout=out,
            stderr=err,
        )
    dev = DevProcess(process, data_dir, port, log_dir)
    try:
        dev.wait_ready()
    except BaseException:
        dev.process.kill()
        dev.process.wait(10)
        raise
    return dev


@contextlib.contextmanager
def running_dev(data_dir: Path, log_dir: Path, **env: str) -> Iterator[DevProcess]:
    dev = start_dev(data_dir, log_dir, **env)
    try:
        yield dev
    finally:
        if dev.process.poll() is None:
            dev.process.send_signal(signal.SIGTERM)
            try:
                dev.process.wait(40)
            except subprocess.TimeoutExpired:
                dev.process.kill()
                dev.process.wait(10)


async def graphql(
    dev: DevProcess, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=dev.http_url, timeout=10) as client:
        answer = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {dev.token}"},
        )
    body: dict[str, Any] = answer.json()
    assert answer.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def subscription(
    dev: DevProcess, query: str, variables: dict[str, Any] | None = None
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection, acknowledged, with operation "1" subscribed."""
    url = f"ws://127.0.0.1:{dev.port}/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {dev.token}"}}
        await socket.send(json.dumps(init))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": variables or {}}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield socket


async def next_event(socket: ClientConnection, seconds: float) -> dict[str, Any] | None:
    """The next `next` payload of operation "1", or None if none comes within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                return message["payload"]  # type: ignore[no-any-return]
    except TimeoutError:
        return None


def postgres_url(data_dir: Path) -> str:
    """asyncpg URL of the dev stack's embedded PostgreSQL (its socket, from postmaster.pid)."""
    lines = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    port, socket_dir = lines[3].strip(), lines[4].strip()
    return f"postgresql://postgres@/inventory?host={socket_dir}&port={port}"


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
