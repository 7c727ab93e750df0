"""Bad input to /v1 of a served process: a clear 4xx in the one error shape, nothing stored.

A hand-written corpus of malformed bodies, headers and paths, then schemathesis over the
served OpenAPI document (positive and negative cases of every operation) against the
live process, as tests/rest/test_openapi.py does in process. Every refused request is
checked to have changed nothing; no answer may be a 5xx or leak the server's inside.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import Case, GenerationMode
from schemathesis.core.result import Ok
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.services.inventory_items import InitialStock, ProductVariantUpsert, ensure_inventory_item
from tests.reliability.graphql_corpus import deep_json
from tests.reliability.leaks import leaks
from tests.reliability.processes import ServiceProcess
from tests.reliability.results import Report
from tests.reliability.state import changed, snapshot
from tests.rest import seed

Sessions = async_sessionmaker[AsyncSession]
BASE = "/v1/api/inventory"
EXAMPLES_PER_OPERATION = 12
NOT_EXPRESSIBLE = [schemathesis.checks.positive_data_acceptance]  # see tests/rest/test_openapi.py


def corpus(variant: str, order: str) -> list[tuple[str, str, str, dict[str, str], bytes]]:
    """(name, method, path, headers, body) of requests that must be refused."""
    json_type = {"content-type": "application/json"}
    upsert = f"{BASE}/product-variants"
    receive = f"{BASE}/purchase-orders/{order}/receive"
    return [
        ("body over 1 MiB", "POST", upsert, json_type, b'{"name": "' + b"a" * 2_000_000 + b'"}'),
        ("not JSON", "POST", upsert, json_type, b"{not json"),
        ("text/plain", "POST", upsert, {"content-type": "text/plain"}, b"{}"),
        ("no content type", "POST", upsert, {}, b"{}"),
        ("invalid UTF-8", "POST", upsert, json_type, b'{"name": "\xff\xfe"}'),
        ("JSON string body", "POST", upsert, json_type, b'"hello"'),
        ("JSON number body", "POST", upsert, json_type, b"42"),
        ("JSON array body", "POST", upsert, json_type, b"[]"),
        ("deeply nested JSON", "POST", upsert, json_type, deep_json(100_000).encode()),
        ("missing fields", "POST", upsert, json_type, b"{}"),
        (
            "NUL in name",
            "POST",
            upsert,
            json_type,
            json.dumps(
                {"productVariantId": str(uuid.uuid4()), "name": "a\x00b", "trackInventory": True}
            ).encode(),
        ),
        (
            "quantity is NaN",
            "POST",
            upsert,
            json_type,
            json.dumps(
                {
                    "productVariantId": str(uuid.uuid4()),
                    "name": "x",
                    "trackInventory": True,
                    "initialStocks": [{"locationId": str(uuid.uuid4()), "quantity": "NaN"}],
                }
            ).encode(),
        ),
        (
            "trackInventory not a boolean",
            "PUT",
            f"{upsert}/{variant}",
            json_type,
            b'{"trackInventory": "yes"}',
        ),
        ("variant id not a UUID", "GET", f"{upsert}/not-a-uuid", {}, b""),
        ("encoded newline in id", "GET", f"{upsert}/%0A", {}, b""),
        ("path traversal", "GET", f"{upsert}/..%2F..%2Fopenapi.json", {}, b""),
        (
            "receive with negative quantity",
            "POST",
            receive,
            json_type,
            json.dumps(
                {"lines": [{"lineId": str(uuid.uuid4()), "quantityReceived": "-1"}]}
            ).encode(),
        ),
        (
            "receive an unknown order",
            "POST",
            f"{BASE}/purchase-orders/{uuid.uuid4()}/receive",
            json_type,
            b"{}",
        ),
        ("limit over 500", "GET", f"{BASE}/stocks?limit=501", {}, b""),
        ("limit negative", "GET", f"{BASE}/stocks?limit=-1", {}, b""),
        ("garbage cursor", "GET", f"{BASE}/stocks?cursor=%00%ff", {}, b""),
        ("itemType unknown", "GET", f"{BASE}/stocks?itemType=WEAPON", {}, b""),
        ("since not a time", "GET", f"{BASE}/movements?since=yesterday", {}, b""),
        (
            "Idempotency-Key with control characters",
            "POST",
            upsert,
            {**json_type, "Idempotency-Key": "a\tb"},
            b"{}",
        ),
        ("X-Merchant-ID not a UUID", "GET", f"{BASE}/locations", {"X-Merchant-ID": "x"}, b""),
        ("DELETE", "DELETE", f"{upsert}/{variant}", {}, b""),
        ("unknown route", "GET", f"{BASE}/admin", {}, b""),
    ]


def _refused(response: httpx.Response) -> str:
    if not 400 <= response.status_code < 500:
        return f"HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code} without a JSON error"
    if set(body) != {"error"} or not {"code", "message", "requestId"} <= set(body["error"]):
        return f"HTTP {response.status_code} not in the error shape"
    return "refused"


@pytest.mark.timeout(300)
async def test_malformed_v1_requests_get_a_4xx_in_the_error_shape_and_change_nothing(
    sessions: Sessions,
    served_app: ServiceProcess,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Bad input", "malformed /v1 requests"
    merchant, variant, order = await _seeded(sessions)
    token = make_token(merchant, "owner", subject="rest-bad-input")
    cases = corpus(variant, order)
    before = await snapshot(sessions)
    outcomes: dict[str, str] = {}
    for name, method, path, headers, body in cases:
        async with httpx.AsyncClient(base_url=served_app.url, timeout=60) as http:
            try:
                response = await http.request(
                    method,
                    path,
                    content=body,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError as exc:
                outcomes[name] = f"no answer ({type(exc).__name__})"
                continue
        found = leaks(response.text)
        outcomes[name] = f"leaks {found}" if found else _refused(response)
    after = await snapshot(sessions)

    wrong = {name: outcome for name, outcome in outcomes.items() if outcome != "refused"}
    report.faults = f"{len(cases)} malformed requests"
    report.events_processed = len(cases)
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(unexpected_outcomes=wrong)
    report.notes = (
        f"{len(cases) - len(wrong)}/{len(cases)} refused in the error shape; state unchanged"
    )

    assert wrong == {}
    assert changed(before, after) == {}
    assert served_app.alive, served_app.log()


@pytest.mark.timeout(600)
async def test_schemathesis_on_live_v1_finds_no_server_error_and_no_refusal_with_side_effects(
    sessions: Sessions,
    served_app: ServiceProcess,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Bad input", "schemathesis over /v1 (live process)"
    merchant, variant, order = await _seeded(sessions)
    token = make_token(merchant, "owner", subject="rest-schemathesis")
    known = {"productVariantId": variant, "purchaseOrderId": order}
    statuses: Counter[int] = Counter()
    side_effects: list[tuple[str, dict[str, Any]]] = []
    leaked: list[str] = []

    def check(case: Case[Any]) -> None:
        before = anyio.from_thread.run(snapshot, sessions)
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        statuses[response.status_code] += 1
        body = response.request.body or b""
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        sent = f"{response.request.url} {text}"  # what the service may echo back
        if found := leaks(response.text, sent):
            leaked.append(f"{case.method} {case.formatted_path}: {found}")
        if 400 <= response.status_code < 500:
            difference = changed(before, anyio.from_thread.run(snapshot, sessions))
            if difference:
                side_effects.append(
                    (f"{case.method} {case.formatted_path} {response.status_code}", difference)
                )
        case.validate_response(response, excluded_checks=NOT_EXPRESSIBLE)

    await anyio.to_thread.run_sync(_fuzz, served_app.url, known, check)

    errors = sum(n for status, n in statuses.items() if status >= 500)
    report.faults = (
        f"schemathesis, {EXAMPLES_PER_OPERATION} positive + negative cases per operation"
    )
    report.events_processed = sum(statuses.values())
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(statuses={str(k): v for k, v in sorted(statuses.items())})
    report.notes = (
        f"{sum(statuses.values())} requests, {errors} 5xx, "
        f"{len(side_effects)} refusals with a side effect"
    )

    assert errors == 0
    assert side_effects == []
    assert leaked == []
    assert served_app.alive, served_app.log()


def _fuzz(base_url: str, known: dict[str, str], check: Callable[[Case[Any]], None]) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/v1/openapi.json")
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = operation.as_strategy(generation_mode=mode)
            if operation.path_parameters and mode is GenerationMode.POSITIVE:
                names = {p.name for p in operation.path_parameters}
                ids = {name: value for name, value in known.items() if name in names}
                cases |= operation.as_strategy(generation_mode=mode, path_parameters=ids)

            @given(case=cases)
            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Case[Any]) -> None:
                check(case)

            fuzz()


async def _seeded(sessions: Sessions) -> tuple[uuid.UUID, str, str]:
    """A merchant with a stocked material, a tracked variant and an open purchase order."""
    merchant = uuid.uuid4()
    main = await seed.location(sessions, "Main", merchant_id=merchant)
    milk = await seed.material(sessions, "Milk", unit="ml", merchant_id=merchant)
    await seed.material_stock(sessions, main, milk, "12.5", merchant_id=merchant)
    variant = uuid.uuid4()
    await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(merchant, variant, name="Latte", track_inventory=True),
        actor=seed.actor(merchant),
        initial_stocks=[InitialStock(main, Decimal(3))],
    )
    order = await seed.purchase_order(sessions, main, [(milk, "5", "1.25")], merchant_id=merchant)
    return merchant, str(variant), str(order)
