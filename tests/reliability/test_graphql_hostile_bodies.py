"""Hostile /graphql requests found by the corpus and generated requests of
test_graphql_bad_input.py: each once answered 500 or an internal error, and must stay a
clean client error (non-UTF-8, non-object and deeply nested bodies, oversized bodies, NUL
in text, subscriptions over HTTP, malformed scalar literals)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.reliability import api
from tests.reliability.graphql_corpus import deep_json
from tests.reliability.leaks import leaks
from tests.reliability.processes import ServiceProcess
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop
from tests.reliability.state import changed, snapshot

Sessions = async_sessionmaker[AsyncSession]
MAX_BODY_BYTES = 1024 * 1024  # Settings.max_body_bytes default, what /v1 enforces


async def post(app: ServiceProcess, token: str, body: bytes) -> httpx.Response:
    headers = {"content-type": "application/json", "Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
        return await http.post("/graphql", content=body, headers=headers)


def codes(response: httpx.Response) -> set[str]:
    body: dict[str, Any] = response.json()
    return {str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or ()}


@pytest.fixture
def token(make_token: Callable[..., str]) -> str:
    return make_token(uuid.uuid4(), "owner", subject="hostile-bodies")


async def test_a_body_that_is_not_utf8_gets_a_400(
    served_app: ServiceProcess, token: str, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "/graphql body not UTF-8 -> 400"
    report.regression("500, UnicodeDecodeError", "49834fc")

    response = await post(served_app, token, b'{"query": "\xff\xfe{ locations }"}')

    assert response.status_code == 400


@pytest.mark.parametrize(
    "body", ['"{ locations { totalCount } }"', "42"], ids=["a JSON string", "a JSON number"]
)
async def test_a_json_body_that_is_not_an_object_gets_a_400(
    served_app: ServiceProcess, token: str, body: str, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "/graphql body not an object -> 400"
    report.regression("500, AttributeError", "49834fc")

    response = await post(served_app, token, body.encode())

    assert response.status_code == 400


async def test_deeply_nested_json_gets_a_400(
    served_app: ServiceProcess, token: str, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "/graphql deeply nested JSON -> 400"
    report.regression("500, RecursionError", "49834fc")
    body = '{"query": "{ __typename }", "variables": {"v": ' + deep_json(100_000) + "}}"

    response = await post(served_app, token, body.encode())

    assert response.status_code == 400


async def test_a_graphql_body_over_the_limit_gets_a_413_like_v1(
    served_app: ServiceProcess, token: str, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "/graphql body over MAX_BODY_BYTES -> 413"
    report.regression("200, no body limit on /graphql", "49834fc")
    padding = "x" * (5 * MAX_BODY_BYTES)
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": padding}})

    response = await post(served_app, token, body.encode())

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (
            "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { code } } }",
            lambda stock: {"i": {"stock": {"stockId": stock}, "delta": "1", "reason": "a\x00b"}},
        ),
        (
            "mutation($n: String!) { locationCreate(input: {name: $n}) { userErrors { code } } }",
            lambda stock: {"n": "Bar\x00"},
        ),
    ],
    ids=["stockAdjust reason", "locationCreate name"],
)
async def test_nul_in_mutation_text_is_a_user_error_not_an_internal_error(
    sessions: Sessions,
    served_app: ServiceProcess,
    make_token: Callable[..., str],
    document: str,
    variables: Callable[[str], dict[str, Any]],
    report: Report,
) -> None:
    report.category, report.scenario = "Bad input", "NUL in GraphQL mutation text -> userError"
    report.regression("INTERNAL_SERVER_ERROR from PostgreSQL", "49834fc")
    shop = await stocked_shop(sessions, 1, "10")
    token = make_token(shop.merchant_id, "owner", subject="known-bugs-nul")
    before = await snapshot(sessions)

    response = await post(
        served_app,
        token,
        json.dumps({"query": document, "variables": variables(shop.stock_gids[0])}).encode(),
    )

    assert changed(before, await snapshot(sessions)) == {}
    assert leaks(response.text) == []
    assert "INTERNAL_SERVER_ERROR" not in codes(response), response.text


async def test_a_subscription_over_http_is_refused_as_a_client_error(
    served_app: ServiceProcess, make_token: Callable[..., str], report: Report
) -> None:
    report.category, report.scenario = "Bad input", "subscription over HTTP -> client error"
    report.regression("INTERNAL_SERVER_ERROR", "49834fc")
    token = make_token(uuid.uuid4(), "owner", subject="known-bugs-sub")
    body = json.dumps({"query": "subscription { stockChanged { occurredAt } }"})

    response = await post(served_app, token, body.encode())

    assert response.status_code == 400 or (
        codes(response) and "INTERNAL_SERVER_ERROR" not in codes(response)
    ), response.text


@pytest.mark.parametrize(
    "document",
    [
        '{ stockMovements(since: "yesterday") { totalCount } }',
        'mutation { stockAdjust(input: {stock: {stockId: "x"}, delta: "abc", reason: "r"})'
        " { userErrors { code } } }",
    ],
    ids=["DateTime literal", "Decimal literal"],
)
async def test_a_malformed_scalar_literal_is_a_validation_error_not_an_internal_error(
    served_app: ServiceProcess, make_token: Callable[..., str], document: str, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "malformed scalar literal -> validation error"
    report.regression("masked as INTERNAL_SERVER_ERROR", "49834fc")
    token = make_token(uuid.uuid4(), "owner", subject="known-bugs-literal")

    async with api.client(served_app.url) as http:
        response = await api.graphql(http, token, document)

    assert response.status_code in (200, 400)
    assert codes(response)
    assert "INTERNAL_SERVER_ERROR" not in codes(response), response.text
