"""Realtime fixtures: app settings on the test database and broker, tokens, two merchants."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.auth.dev import DevSigningKey, load_or_create_signing_key
from app.embedded import EmbeddedBroker
from app.settings import Settings
from tests.realtime.app_server import RunningApp, running_app

MakeSettings = Callable[..., Settings]
MakeToken = Callable[..., str]


@pytest.fixture(scope="session", autouse=True)
def _quiet_broker_log_handle() -> Iterator[None]:
    """EmbeddedBroker.start leaks its log file handle (a ResourceWarning, an error here).

    The same workaround as tests/outbox/conftest.py, until app/embedded.py closes it.
    """
    original = EmbeddedBroker.start

    def start(self: EmbeddedBroker, log_path: Path | None = None) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            return original(self, log_path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EmbeddedBroker, "start", start)
        yield


@pytest.fixture(scope="session")
def realtime_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realtime-data")


@pytest.fixture
def make_settings(database_url: str, kafka_bootstrap: str, realtime_data_dir: Path) -> MakeSettings:
    """The app's settings on the test database and broker; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "kafka_bootstrap_servers": kafka_bootstrap,
            "kafka_enable_idempotence": False,
            "data_dir": realtime_data_dir,
            "migrate_on_start": False,
            "outbox_poll_interval_seconds": 0.2,
            "realtime_connection_init_timeout_seconds": 2,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def signing_key(realtime_data_dir: Path) -> DevSigningKey:
    return load_or_create_signing_key(realtime_data_dir)


@pytest.fixture
def make_token(signing_key: DevSigningKey) -> MakeToken:
    def make(
        merchant_id: uuid.UUID | None, role: str = "cashier", ttl: timedelta = timedelta(hours=1)
    ) -> str:
        settings = Settings()
        return signing_key.issue_token(
            issuer=settings.identity_issuer,
            audience=settings.identity_audience,
            subject="pos-terminal",
            merchant_id=merchant_id,
            role=role,
            ttl=ttl,
        )

    return make


@pytest.fixture(scope="module")
async def served(
    request: pytest.FixtureRequest, database_url: str, realtime_data_dir: Path
) -> AsyncIterator[RunningApp]:
    """The app without Kafka, one per module: tests publish events to its hub themselves.

    A module's SERVED_SETTINGS (a dict) overrides these settings.
    """
    values: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": realtime_data_dir,
        "migrate_on_start": False,
        "run_relay_in_serve": False,
        "realtime_connection_init_timeout_seconds": 0.5,
        "realtime_max_subscriptions_per_connection": 2,
    }
    values.update(getattr(request.module, "SERVED_SETTINGS", {}))
    settings = Settings(**values)
    async with running_app(settings) as app:
        yield app
