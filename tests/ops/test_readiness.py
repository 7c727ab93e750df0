"""/readyz: the broker when Kafka is configured, and consumers registered by this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from app.asgi import create_app
from app.embedded import EmbeddedBroker
from app.health import register_consumers
from app.runtime import Runtime
from app.settings import Settings


@pytest.fixture
async def app_with_broker(
    database_url: str, tmp_path: Path, own_broker: EmbeddedBroker
) -> AsyncIterator[Starlette]:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        migrate_on_start=False,
        run_relay_in_serve=False,
        kafka_bootstrap_servers=own_broker.bootstrap,
        kafka_enable_idempotence=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def _readyz(app: Starlette) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        return await client.get("/readyz")


async def test_readyz_reports_a_broker_that_is_down(
    app_with_broker: Starlette, own_broker: EmbeddedBroker
) -> None:
    up = await _readyz(app_with_broker)

    own_broker.stop()
    down = await _readyz(app_with_broker)

    assert up.status_code == 200
    assert down.status_code == 503
    [problem] = down.json()["problems"]
    assert problem.startswith(f"Kafka broker unreachable at {own_broker.bootstrap}")


async def test_readyz_reports_consumers_that_stopped(app_with_broker: Starlette) -> None:
    runtime: Runtime = app_with_broker.state.runtime
    running = True
    register_consumers(runtime, "sales", lambda: running)
    while_running = await _readyz(app_with_broker)

    running = False
    stopped = await _readyz(app_with_broker)

    assert while_running.status_code == 200
    assert stopped.status_code == 503
    assert stopped.json()["problems"] == ["consumers sales are not running"]
