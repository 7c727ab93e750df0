"""`inventory serve` with its broker down: the state the README calls expected is one
WARNING per retry, naming the wait before the next, and never a traceback or an ERROR."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from app.embedded import free_port
from tests.ops.dev_process import dev_env, inventory

pytestmark = pytest.mark.slow

# Relay retries to see before judging (its backoff starts at 0.2 s).
RETRIES = 3
BOUND_SECONDS = 120.0


def test_an_unreachable_broker_is_one_warning_per_retry_without_tracebacks(
    database_url: str, tmp_path: Path
) -> None:
    dead_broker = f"127.0.0.1:{free_port()}"
    env = dev_env(
        tmp_path,
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=dead_broker,
        MIGRATE_ON_START="false",
        LOG_FORMAT="json",
    )
    process = subprocess.Popen(
        inventory("serve", "--port", str(free_port())),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[dict[str, object]] = []
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + BOUND_SECONDS
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(json.loads(line))
            relay = [e for e in lines if e["logger"] == "app.outbox.relay"]
            if len(relay) >= RETRIES:
                break
    finally:
        process.terminate()
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()

    relay = [e for e in lines if e["logger"] == "app.outbox.relay"]
    assert len(relay) >= RETRIES, lines
    for entry in relay:
        assert entry["level"] == "WARNING", entry
        assert "Kafka unreachable" in str(entry["message"])
        assert float(str(entry["retryInSeconds"])) > 0
        assert f"retrying in {float(str(entry['retryInSeconds'])):.1f} s" in str(entry["message"])
    assert [e for e in lines if e["level"] in {"ERROR", "CRITICAL"}] == []
    assert [e for e in lines if "exception" in e] == []
