"""`consume` and `relay` as separate processes: /healthz, /readyz and /metrics on METRICS_PORT."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.embedded import EmbeddedBroker
from app.kafka.client import ensure_topics
from app.kafka.topics import PAYMENT_SUCCESS, dead_letter_topic
from app.settings import Settings
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import eventually, produce
from tests.services.sales_builders import a_payment, a_shop, an_item, sold

pytestmark = pytest.mark.slow
Sessions = async_sessionmaker[AsyncSession]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(database_url: str, bootstrap: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "KAFKA_CONSUMER_GROUP": f"ops-{uuid.uuid4().hex[:8]}",
        "MIGRATE_ON_START": "false",
    }


@asynccontextmanager
async def command(
    arguments: Sequence[str], env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """The command running; on leaving, SIGTERM and a clean exit are required."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli.main", *arguments, env=env, stdout=output, stderr=output
        )
        try:
            yield process
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    if returncode != 0:
        raise AssertionError(await asyncio.to_thread(log.read_text))


async def answering(client: httpx.AsyncClient, path: str) -> httpx.Response:
    response: httpx.Response | None = None

    async def answered() -> bool:
        nonlocal response
        try:
            response = await client.get(path)
        except httpx.TransportError:
            return False
        return True

    await eventually(answered, within=30)
    assert response is not None
    return response


async def test_relay_serves_health_readiness_and_its_backlog(
    database_url: str, own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    # Its own broker: whatever earlier tests left in the outbox goes there, not to topics
    # that other tests read.
    port = free_port()
    env = environment(database_url, own_broker.bootstrap)
    async with (
        command(["relay", "--metrics-port", str(port)], env, tmp_path / "relay.log"),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        health = await answering(client, "/healthz")
        ready = await client.get("/readyz")
        scrape = await client.get("/metrics")

    assert health.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ok"}
    assert scrape.headers["content-type"].startswith("text/plain")
    assert "inventory_outbox_backlog_events " in scrape.text
    assert "inventory_outbox_oldest_unsent_age_seconds" in scrape.text


async def test_consume_exposes_what_it_consumed_and_its_lag(
    sessions: Sessions, database_url: str, own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=own_broker.bootstrap, kafka_enable_idempotence=False
    )
    shop = await a_shop(sessions)
    _, latte = await an_item(sessions, shop, tracked=True, on_hand="20")
    await ensure_topics(settings, [PAYMENT_SUCCESS, dead_letter_topic(PAYMENT_SUCCESS)])
    await produce(
        settings,
        PAYMENT_SUCCESS,
        [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(3)],
    )
    port = free_port()
    env = {**environment(database_url, own_broker.bootstrap), "METRICS_PORT": str(port)}
    arguments = ["consume", "--topics", PAYMENT_SUCCESS]
    async with (
        command(arguments, env, tmp_path / "consume.log"),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        await answering(client, "/healthz")
        scraped = ""

        async def all_applied() -> bool:
            nonlocal scraped
            scraped = (await client.get("/metrics")).text
            labels = f'outcome="applied",topic="{PAYMENT_SUCCESS}"'
            return f"inventory_consumer_messages_processed_total{{{labels}}} 3.0" in scraped

        await eventually(all_applied, within=60)
        ready = await client.get("/readyz")

    assert ready.status_code == 200, ready.text
    lag_lines = [
        line for line in scraped.splitlines() if line.startswith("inventory_consumer_lag{")
    ]
    assert lag_lines, scraped
    assert all(line.endswith(" 0.0") for line in lag_lines), lag_lines


def test_a_port_in_use_is_a_clear_startup_error(database_url: str, kafka_bootstrap: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        finished = subprocess.run(
            [sys.executable, "-m", "app.cli.main", "relay", "--metrics-port", str(port)],
            env=environment(database_url, kafka_bootstrap),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert finished.returncode == 2, finished.stderr
    assert f"cannot serve /metrics on 127.0.0.1:{port} (METRICS_PORT)" in finished.stderr


def test_the_option_is_explained() -> None:
    for name in ("consume", "relay"):
        out = subprocess.run(
            [sys.executable, "-m", "app.cli.main", name, "--help"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        assert "--metrics-port" in out
        assert "/metrics" in out
