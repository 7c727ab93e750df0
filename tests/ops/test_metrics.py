"""/metrics: HTTP and GraphQL series by route and operation, the outbox backlog measured
at scrape time, subscriptions, and the consumers' series on the same registry."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.auth.dev import load_or_create_signing_key
from app.dev_catalog import DEMO_MERCHANT_ID
from app.dev_seed import seed_demo
from app.metrics import track_subscription
from app.settings import Settings
from consumers.metrics import default_metrics as consumer_metrics


@pytest.fixture
async def client(
    database_url: str, tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        migrate_on_start=False,
        run_relay_in_serve=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield http


def _token(data_dir: Path) -> str:
    return load_or_create_signing_key(data_dir).issue_token(
        issuer="inventory-dev-identity",
        audience="inventory",
        subject="ops-test",
        merchant_id=DEMO_MERCHANT_ID,
        role="owner",
    )


async def _scrape(client: httpx.AsyncClient) -> list[Sample]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return [s for family in text_string_to_metric_families(answer.text) for s in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float | None:
    for sample in samples:
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
            return sample.value
    return None


async def test_http_requests_are_counted_by_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    missing = f"/v1/api/inventory/product-variants/{uuid.uuid4()}"
    before = await _scrape(client)
    await client.get("/healthz")
    await client.get(missing)
    await client.get("/no/such/page")

    after = await _scrape(client)

    def grew(**labels: str) -> float:
        name = "inventory_http_requests_total"
        return (_value(after, name, **labels) or 0) - (_value(before, name, **labels) or 0)

    assert grew(method="GET", route="/healthz", status="200") == 1
    template = "/v1/api/inventory/product-variants/{productVariantId}"
    assert grew(method="GET", route=template, status="401") == 1
    assert grew(method="GET", route="unmatched", status="404") == 1
    assert not any(missing in str(s.labels) for s in after)
    assert _value(
        after, "inventory_http_request_duration_seconds_count", method="GET", route="/healthz"
    )


async def test_graphql_operations_are_counted_by_name_type_and_outcome(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    headers = {"Authorization": f"Bearer {_token(tmp_path)}"}
    name = f"OpsLocations{uuid.uuid4().hex[:8]}"
    await client.post(
        "/graphql",
        json={"query": f"query {name} {{ locations {{ totalCount }} }}", "operationName": name},
        headers=headers,
    )
    await client.post(
        "/graphql", json={"query": f"query {name} {{ noSuchField }}"}, headers=headers
    )

    samples = await _scrape(client)

    counted = "inventory_graphql_operations_total"
    assert _value(samples, counted, operation=name, type="query", outcome="ok") == 1
    assert _value(samples, counted, operation=name, type="query", outcome="error") == 1
    seconds = "inventory_graphql_operation_duration_seconds_count"
    assert _value(samples, seconds, operation=name, type="query") == 2


async def test_outbox_backlog_and_its_age_are_measured_at_scrape_time(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    empty = await _scrape(client)
    await seed_demo(sessions)  # its opening stock stages stock-changed events; no relay runs

    seeded = await _scrape(client)

    assert _value(empty, "inventory_outbox_backlog_events") == 0
    backlog = _value(seeded, "inventory_outbox_backlog_events")
    assert backlog is not None
    assert backlog > 0
    age = _value(seeded, "inventory_outbox_oldest_unsent_age_seconds")
    assert age is not None
    assert age >= 0


async def test_subscriptions_and_consumer_series_share_the_endpoint(
    client: httpx.AsyncClient,
) -> None:
    consumer_metrics().dead_lettered.labels("payment.success", "invalid").inc(0)
    consumer_metrics().lag.labels("payment.success", "0").set(7)

    with track_subscription("stockChanged"), track_subscription("stockChanged"):
        open_two = await _scrape(client)
    closed = await _scrape(client)

    active = "inventory_graphql_subscriptions_active"
    assert _value(open_two, active, subscription="stockChanged") == 2
    assert _value(closed, active, subscription="stockChanged") == 0
    assert _value(closed, "inventory_consumer_lag", topic="payment.success", partition="0") == 7
    assert _value(closed, "inventory_consumer_dead_lettered_total", topic="payment.success") == 0
