# ruff: noqa: E501  (GraphQL documents read better on one line)
"""The real route over HTTP with real tokens: authentication, authorization, standard
GraphQL errors for malformed requests, and the same answers as schema.execute."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.auth.dev import load_or_create_signing_key
from app.domain.enums import ItemType
from app.settings import Settings
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Http

STOCKS = (
    "{ stocks(first: 10) { nodes { onHand item { ... on Material { name } } location { name } } } }"
)


async def test_a_stocks_page_over_http_with_a_bearer_token(
    sessions: async_sessionmaker[AsyncSession], http: Http
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2.50")

    response = await http.post(STOCKS, headers={"X-Request-ID": "req-42"})

    body = response.json()
    assert response.status_code == 200
    assert body["data"]["stocks"]["nodes"] == [
        {"onHand": "2.5", "item": {"name": "Flour"}, "location": {"name": "Bar"}}
    ]
    assert "errors" not in body
    assert body["extensions"]["cost"]["requestedQueryCost"] > 0
    assert response.headers["X-Request-ID"] == "req-42"


async def test_no_token_or_a_bad_token_is_401_before_any_resolver(http: Http) -> None:
    missing = await http.client.post("/graphql", json={"query": STOCKS})
    forged = await http.client.post(
        "/graphql", json={"query": STOCKS}, headers={"Authorization": "Bearer not.a.jwt"}
    )
    other_key = await http.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": f"Bearer {http.token()[:-4]}AAAA"},
    )

    for response in (missing, forged, other_key):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_role_without_the_action_gets_forbidden_and_nothing_is_written(
    http: Http,
) -> None:
    create = (
        'mutation { locationCreate(input: {name: "X"}) { location { id } userErrors { code } } }'
    )

    refused = await http.post(create, role="kitchen")
    reads = await http.post("{ locations { totalCount } }", role="kitchen")
    cashier = await http.post(create, role="cashier")

    assert refused.status_code == 200
    assert refused.json()["data"] is None
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert cashier.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert reads.json()["data"] == {"locations": {"totalCount": 0}}


async def test_a_token_without_a_merchant_cannot_query(http: Http) -> None:
    service_token = http.signing_key.issue_token(
        issuer=http.settings.identity_issuer,
        audience=http.settings.identity_audience,
        subject="commerce",
        merchant_id=None,
        role=None,
        service=True,
    )
    query = {"query": "{ locations { totalCount } }"}

    service = await http.client.post(
        "/graphql", json=query, headers={"Authorization": f"Bearer {service_token}"}
    )
    user = await http.client.post(
        "/graphql", json=query, headers={"Authorization": f"Bearer {http.token(merchant_id=None)}"}
    )

    assert service.json()["data"] is None
    assert service.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert user.status_code == 401


async def test_malformed_queries_unknown_fields_and_bad_variables_are_graphql_errors(
    http: Http,
) -> None:
    syntax = await http.post("{ stocks { nodes { id }")
    unknown = await http.post("{ stocks { nodes { colour } } }")
    bad_int = await http.post("query($n: Int) { stocks(first: $n) { totalCount } }", {"n": "ten"})
    mutation = """mutation($d: Decimal!) { stockAdjust(input: {stock: {stockId: "x"}, delta: $d, reason: "r"}) { userErrors { code } } }"""
    float_decimal = await http.post(mutation, {"d": 1.5})
    text_decimal = await http.post(mutation, {"d": "1.5kg"})
    literal_decimal = await http.post(
        'mutation { stockAdjust(input: {stock: {stockId: "x"}, delta: "NaN", reason: "r"}) { userErrors { code } } }'
    )
    not_json = await http.client.post(
        "/graphql",
        content=b"{nope",
        headers={"Authorization": f"Bearer {http.token()}", "Content-Type": "application/json"},
    )

    for response in (syntax, unknown, bad_int, float_decimal, text_decimal, literal_decimal):
        body = response.json()
        assert body.get("data") is None, body
        assert body["errors"][0]["message"], body
        assert "locations" in body["errors"][0] or "Variable" in body["errors"][0]["message"]
    assert "Syntax Error" in syntax.json()["errors"][0]["message"]
    assert "Cannot query field 'colour'" in unknown.json()["errors"][0]["message"]
    assert "Decimal" in float_decimal.json()["errors"][0]["message"]
    assert not_json.status_code == 400
    codes = {
        "syntax": (syntax, "GRAPHQL_PARSE_FAILED"),
        "unknown": (unknown, "GRAPHQL_VALIDATION_FAILED"),
        "bad_int": (bad_int, "BAD_USER_INPUT"),
        "float_decimal": (float_decimal, "BAD_USER_INPUT"),
        "literal_decimal": (literal_decimal, "GRAPHQL_VALIDATION_FAILED"),
        "not_json": (not_json, "BAD_REQUEST"),
    }
    for name, (response, code) in codes.items():
        assert response.json()["errors"][0].get("extensions", {}).get("code") == code, (
            name,
            response.json(),
        )


async def test_requests_refused_before_graphql_are_json_with_a_code(http: Http) -> None:
    auth = {"Authorization": f"Bearer {http.token()}"}
    wrong_type = await http.client.post(
        "/graphql",
        content=b"{ stocks { totalCount } }",
        headers={**auth, "Content-Type": "text/plain"},
    )
    no_query = await http.client.post("/graphql", json={"variables": {}}, headers=auth)
    not_an_object = await http.client.post("/graphql", json=[1, 2], headers=auth)

    for response in (wrong_type, no_query, not_an_object):
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["errors"][0]
        assert error["message"]
        assert error["extensions"]["code"] in {"BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE"}


async def test_mutations_over_http_with_an_idempotency_key(http: Http) -> None:
    create = """mutation($k: String) { materialCreate(input: {name: "Oat milk", unit: "ml"}, idempotencyKey: $k) {
                  material { id name } userErrors { field code } } }"""

    first = await http.post(create, {"k": "abc"})
    again = await http.post(create, {"k": "abc"})
    listed = await http.post("{ materials { totalCount } }")

    assert first.json()["data"]["materialCreate"]["userErrors"] == []
    assert again.json()["data"] == first.json()["data"]
    assert listed.json()["data"] == {"materials": {"totalCount": 1}}


async def test_graphiql_is_served_outside_production_without_a_token(http: Http) -> None:
    page = await http.client.get("/graphql", headers={"Accept": "text/html"})
    query_by_get = await http.client.get(
        "/graphql",
        params={"query": "{ locations { totalCount } }"},
        headers={"Authorization": f"Bearer {http.token()}"},
    )

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert query_by_get.status_code != 200


async def test_an_unknown_id_and_another_merchants_id_look_the_same_over_http(
    sessions: async_sessionmaker[AsyncSession], http: Http
) -> None:
    theirs = await seed.location(sessions, uuid.uuid4(), "Theirs")
    query = "query($id: ID!) { location(id: $id) { name } node(id: $id) { id } }"

    other = await http.post(query, {"id": global_id("Location", theirs)})
    unknown = await http.post(query, {"id": global_id("Location", uuid.uuid4())})

    assert other.json() == unknown.json()
    assert other.json()["data"] == {"location": None, "node": None}


async def test_the_service_app_serves_graphql_with_its_own_lifespan(
    settings: Settings, http: Http
) -> None:
    app = create_app(settings.model_copy(update={"run_relay_in_serve": False}))

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post(
                "/graphql",
                json={"query": "{ locations { totalCount } }"},
                headers={"Authorization": f"Bearer {http.token()}"},
            )
            refused = await client.post("/graphql", json={"query": "{ __typename }"})

    assert answer.json()["data"] == {"locations": {"totalCount": 0}}
    assert refused.status_code == 401


async def test_a_database_that_refuses_connections_is_unavailable_not_internal(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings = Settings(
        database_url=f"postgresql://inventory@127.0.0.1:{closed_port}/inventory",
        data_dir=tmp_path,
        migrate_on_start=False,
        run_relay_in_serve=False,
    )
    app = create_app(settings)
    token = load_or_create_signing_key(tmp_path).issue_token(
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        subject="graphql-tester",
        merchant_id=MERCHANT_A,
        role="owner",
    )

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            answer = await client.post(
                "/graphql",
                json={"query": "{ locations { totalCount } }"},
                headers={"Authorization": f"Bearer {token}"},
            )

    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "127.0.0.1" not in error["message"]
