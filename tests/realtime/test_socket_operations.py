"""Queries and mutations sent over the websocket go through the same schema, context,
limits and idempotency as over HTTP: the same request answers the same way on both."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graphql_schema.ids import global_id
from tests.realtime import seed
from tests.realtime.app_server import RunningApp
from tests.realtime.client import GqlSocket, socket
from tests.realtime.conftest import MakeToken

Sessions = async_sessionmaker[AsyncSession]

CREATE = """
mutation ($name: String!, $key: String) {
  locationCreate(input: {name: $name}, idempotencyKey: $key) {
    location { id name }
    userErrors { code field }
  }
}
"""
TOO_BIG_A_PAGE = "{ locations(first: 1000) { nodes { id } } }"
LOCATIONS = "{ locations(first: 10) { nodes { name } } }"
LOCATION_NAME = "query ($id: ID!) { location(id: $id) { name } }"


async def over_socket(pos: GqlSocket, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    await pos.subscribe(query, variables)
    message = await pos.receive()
    assert message["type"] in ("next", "error"), message
    if message["type"] == "error":
        return {"errors": message["payload"]}
    complete = await pos.receive()
    assert complete["type"] == "complete", complete
    result: dict[str, Any] = message["payload"]
    return result


async def over_http(app: RunningApp, token: str, query: str, variables: dict[str, Any]) -> Any:
    async with httpx.AsyncClient(base_url=app.http_url) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    return response.json()


def codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


async def test_a_mutation_over_the_socket_shares_its_idempotency_key_with_http(
    sessions: Sessions, served: RunningApp, make_token: MakeToken
) -> None:
    token = make_token(uuid.uuid4(), role="owner")
    variables = {"name": "Terrace", "key": f"k-{uuid.uuid4()}"}
    async with socket(served.url, token) as dashboard:
        first = await over_socket(dashboard, CREATE, variables)
        mismatch = await over_socket(dashboard, CREATE, {**variables, "name": "Other"})
        listed = await over_socket(dashboard, LOCATIONS, {})
    replayed = await over_http(served, token, CREATE, variables)

    created = first["data"]["locationCreate"]
    assert created["userErrors"] == []
    assert replayed["data"]["locationCreate"] == created
    assert [e["code"] for e in mismatch["data"]["locationCreate"]["userErrors"]] == [
        "IDEMPOTENCY_KEY_MISMATCH"
    ]
    assert listed["data"]["locations"]["nodes"] == [{"name": "Terrace"}]


async def test_a_role_refused_over_http_is_refused_over_the_socket_too(
    sessions: Sessions, served: RunningApp, make_token: MakeToken
) -> None:
    token = make_token(uuid.uuid4(), role="kitchen")
    variables = {"name": "Nope", "key": None}
    async with socket(served.url, token) as kitchen_display:
        on_socket = await over_socket(kitchen_display, CREATE, variables)
    on_http = await over_http(served, token, CREATE, variables)

    assert codes(on_socket) == codes(on_http) == ["FORBIDDEN"]
    assert on_socket["data"] == on_http["data"] == None  # noqa: E711


async def test_the_request_limits_answer_the_same_over_the_socket(
    sessions: Sessions, served: RunningApp, make_token: MakeToken
) -> None:
    token = make_token(uuid.uuid4(), role="owner")
    async with socket(served.url, token) as dashboard:
        on_socket = await over_socket(dashboard, TOO_BIG_A_PAGE, {})
    on_http = await over_http(served, token, TOO_BIG_A_PAGE, {})

    assert codes(on_socket) == codes(on_http) == ["PAGE_SIZE_EXCEEDED"]


async def test_a_long_lived_socket_reads_what_changed_since_its_last_query(
    sessions: Sessions, served: RunningApp, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    token = make_token(shop.merchant_id, role="owner")
    location = {"id": global_id("Location", shop.location_id)}
    async with socket(served.url, token) as dashboard:
        before = await over_socket(dashboard, LOCATION_NAME, location)
        await seed.rename_location(sessions, shop, "Terrace")  # elsewhere, not on this socket
        after = await over_socket(dashboard, LOCATION_NAME, location)

    assert before["data"]["location"]["name"] == "Main"
    assert after["data"]["location"]["name"] == "Terrace"
