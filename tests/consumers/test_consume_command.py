"""`inventory consume` as a process: it applies what arrives and SIGTERM leaves it committed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.embedded import EmbeddedBroker
from app.kafka.client import ensure_topics
from app.kafka.topics import PAYMENT_SUCCESS, dead_letter_topic
from app.settings import Settings
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import committed, eventually, produce
from tests.services.sales_builders import a_payment, a_shop, an_item, quantities, sold

pytestmark = pytest.mark.slow
Sessions = async_sessionmaker[AsyncSession]


def test_help_explains_the_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "app.cli.main", "consume", "--help"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout

    for option in ("--topics", "--concurrency", "--batch-size", "--group", ".dlq", "SIGTERM"):
        assert option in out


async def test_sigterm_finishes_commits_and_exits_cleanly(
    sessions: Sessions, database_url: str, own_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    group = f"consume-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        kafka_bootstrap_servers=own_broker.bootstrap, kafka_enable_idempotence=False
    )
    shop = await a_shop(sessions)
    item, latte = await an_item(sessions, shop, tracked=True, on_hand="20")
    await ensure_topics(settings, [PAYMENT_SUCCESS, dead_letter_topic(PAYMENT_SUCCESS)])
    await produce(
        settings,
        PAYMENT_SUCCESS,
        [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(10)],
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "KAFKA_CONSUMER_GROUP": group,
        "MIGRATE_ON_START": "false",
    }
    log = tmp_path / "consume.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "app.cli.main", "consume", "--topics", PAYMENT_SUCCESS],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            await eventually(lambda: _sold(sessions, shop, item, 10), within=60)
            process.send_signal(signal.SIGTERM)
            returncode = await asyncio.wait_for(process.wait(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert returncode == 0, log.read_text()
    assert "consumer stopped" in log.read_text()
    offsets = await committed(settings, group, PAYMENT_SUCCESS, partitions=4)
    assert sum(max(offset, 0) for offset in offsets) == 10  # -1: a partition with none


async def _sold(sessions: Sessions, shop: object, item: uuid.UUID, count: int) -> bool:
    on_hand, _ = await quantities(sessions, shop.product(item))  # type: ignore[attr-defined]
    return on_hand == Decimal(20 - count)
