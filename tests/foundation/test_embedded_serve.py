"""`inventory serve` with nothing configured: embedded PostgreSQL, clean stop, data kept."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.embedded import free_port
from tests.fixtures.server_dirs import ServerDir

pytestmark = pytest.mark.slow


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "KAFKA_"))}
    env.update(DATA_DIR=str(data_dir), ENVIRONMENT="development", RUN_RELAY_IN_SERVE="false")
    return env


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not become ready")


def _socket_of(data_dir: Path) -> str:
    lines = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    port, socket_dir = lines[3].strip(), lines[4].strip()
    return f"postgresql://postgres@/inventory?host={socket_dir}&port={port}"


@pytest.fixture
def serve(server_dir: ServerDir) -> Iterator[tuple[Path, list[subprocess.Popen[bytes]]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield server_dir("serve-data"), started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)],
        env=_env(data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_embedded_database_survives_a_stop_and_a_restart(
    serve: tuple[Path, list[subprocess.Popen[bytes]]],
) -> None:
    data_dir, started = serve
    port = free_port()
    first = _start(data_dir, port)
    started.append(first)
    _wait_ready(port, first)
    connection = await asyncpg.connect(_socket_of(data_dir))
    await connection.execute("INSERT INTO merchant (id, name) VALUES (gen_random_uuid(), 'kept')")
    await connection.close()

    first.send_signal(signal.SIGTERM)
    # uvicorn finishes its shutdown, then re-raises the signal it caught.
    assert first.wait(30) in (0, -signal.SIGTERM)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()

    second = _start(data_dir, port)
    started.append(second)
    _wait_ready(port, second)
    connection = await asyncpg.connect(_socket_of(data_dir))
    names = await connection.fetch("SELECT name FROM merchant")
    await connection.close()
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) in (0, -signal.SIGTERM)

    assert [r["name"] for r in names] == ["kept"]


def test_healthz_and_readyz_answer(
    serve: tuple[Path, list[subprocess.Popen[bytes]]],
) -> None:
    data_dir, started = serve
    port = free_port()
    process = _start(data_dir, port)
    started.append(process)
    _wait_ready(port, process)

    health = httpx.get(f"http://127.0.0.1:{port}/healthz")
    ready = httpx.get(f"http://127.0.0.1:{port}/readyz")

    process.send_signal(signal.SIGTERM)
    process.wait(30)
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
