"""Where relays run: the `inventory relay` command and inside `inventory serve`."""

import asyncio
import os
import signal
import sys

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.cli.main import main
from app.outbox.relay import OutboxRelay
from app.settings import Settings
from tests.outbox.helpers import change, open_shop, wait_until_all_sent


def test_relay_help_explains_batch_size_and_poll_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["relay", "--help"])

    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "--batch-size N" in out
    assert "--poll-interval SECONDS" in out
    assert "OUTBOX_BATCH_SIZE" in out


def test_relay_without_a_broker_names_the_missing_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)

    code = main(["relay"])

    assert code == 2
    assert "KAFKA_BOOTSTRAP_SERVERS is not set" in capsys.readouterr().err


async def test_serve_runs_a_relay_and_stops_it_on_shutdown(
    sessions: async_sessionmaker[AsyncSession], database_url: str, kafka_bootstrap: str
) -> None:
    shop = await open_shop(sessions, 1)
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_enable_idempotence=False,
        migrate_on_start=False,
    )
    app = create_app(settings)

    async with app.router.lifespan_context(app):
        relay = app.state.runtime.extras["outbox_relay"]
        await change(sessions, shop, shop.keys[0], "served")
        await wait_until_all_sent(sessions)

    assert isinstance(relay, OutboxRelay)
    assert relay.stats.published == 2


async def test_the_relay_command_publishes_and_exits_cleanly_on_sigterm(
    sessions: async_sessionmaker[AsyncSession], database_url: str, kafka_bootstrap: str
) -> None:
    shop = await open_shop(sessions, 1)
    env = os.environ | {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "MIGRATE_ON_START": "false",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli.main", "relay", "--batch-size", "10", env=env
    )
    try:
        await change(sessions, shop, shop.keys[0], "by-command")
        await wait_until_all_sent(sessions, within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)

    assert code == 0
