"""The websocket protocols at /graphql: authentication, the protocols' close codes, limits,
token expiry and the legacy graphql-ws, against the running app (hub fed directly)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from app.realtime.streams import STOCK
from graphql_schema.ids import global_id
from tests.realtime.app_server import RunningApp
from tests.realtime.client import LEGACY_WS, STOCK_CHANGED, socket
from tests.realtime.conftest import MakeToken
from tests.realtime.payloads import StockOf


async def test_a_socket_that_never_sends_connection_init_is_closed_with_4408(
    served: RunningApp,
) -> None:
    async with socket(served.url, init=False) as idle:
        code = await idle.close_code(within=5)

    assert code == 4408


async def test_subscribing_before_the_ack_is_closed_with_4401(served: RunningApp) -> None:
    async with socket(served.url, init=False) as early:
        await early.subscribe(STOCK_CHANGED)
        code = await early.close_code()

    assert code == 4401


async def test_a_second_connection_init_is_closed_with_4429(
    served: RunningApp, make_token: MakeToken
) -> None:
    async with socket(served.url, make_token(uuid.uuid4())) as twice:
        await twice.send({"type": "connection_init", "payload": {}})
        code = await twice.close_code()

    assert code == 4429


async def test_an_operation_id_in_use_is_closed_with_4409(
    served: RunningApp, make_token: MakeToken
) -> None:
    async with socket(served.url, make_token(uuid.uuid4())) as pos:
        payload = {"query": STOCK_CHANGED}
        await pos.send({"id": "same", "type": "subscribe", "payload": payload})
        await pos.send({"id": "same", "type": "subscribe", "payload": payload})
        code = await pos.close_code()

    assert code == 4409


@pytest.mark.parametrize(
    "init_payload",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"token": "not-a-jwt"}],
    ids=["no token", "bad bearer", "bad token"],
)
async def test_a_refused_token_is_closed_with_4403_before_any_operation(
    served: RunningApp, init_payload: dict[str, str]
) -> None:
    async with socket(served.url, init=False) as stranger:
        await stranger.send({"type": "connection_init", "payload": init_payload})
        code = await stranger.close_code()

    assert code == 4403


@pytest.mark.parametrize("key", ["Authorization", "authorization", "token", "header"])
async def test_the_token_is_read_from_the_init_payload_or_the_authorization_header(
    served: RunningApp, make_token: MakeToken, key: str
) -> None:
    token = make_token(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"} if key == "header" else None
    payload = {} if key == "header" else {key: token if key == "token" else f"Bearer {token}"}

    async with socket(served.url, init=False, headers=headers) as pos:
        ack = await pos.init(payload)

    assert ack["type"] == "connection_ack"
    assert "expiresAt" in ack["payload"]


async def test_a_token_that_expires_during_the_connection_closes_it_with_4403(
    served: RunningApp, make_token: MakeToken
) -> None:
    merchant = uuid.uuid4()
    async with socket(served.url, make_token(merchant, ttl=timedelta(seconds=2))) as pos:
        await pos.subscribe(STOCK_CHANGED)
        await served.subscribers(1)
        code = await pos.close_code(within=5)
        reason = pos.ws.close_reason
    await served.subscribers(0)

    assert (code, reason) == (4403, "Token expired")


async def test_operations_past_the_per_connection_cap_are_refused_one_by_one(
    served: RunningApp, make_token: MakeToken
) -> None:
    async with socket(served.url, make_token(uuid.uuid4())) as pos:
        for _ in range(3):
            await pos.subscribe(STOCK_CHANGED)
        refused = await pos.receive()
        await served.subscribers(2)

    assert (refused["id"], refused["type"]) == ("3", "error")
    assert refused["payload"][0]["message"] == "Subscription limit reached"


async def test_the_legacy_graphql_ws_protocol_subscribes_and_receives(
    served: RunningApp, make_token: MakeToken
) -> None:
    stock = StockOf(uuid.uuid4())
    async with socket(served.url, make_token(stock.merchant_id), protocol=LEGACY_WS) as old_pos:
        await old_pos.subscribe(STOCK_CHANGED)
        await served.subscribers(1)
        await served.hub.publish(STOCK, stock.merchant_id, stock.event(version=4, on_hand="9"))
        data = await old_pos.next_data()

    assert data["stockChanged"]["stock"]["onHand"] == "9"
    assert data["stockChanged"]["stock"]["version"] == 4


async def test_the_legacy_protocol_refuses_a_bad_token_with_connection_error(
    served: RunningApp,
) -> None:
    async with socket(served.url, protocol=LEGACY_WS, init=False) as old_pos:
        answer = await old_pos.init({"Authorization": "Bearer nope"})
        code = await old_pos.close_code()

    assert answer["type"] == "connection_error"
    assert answer["payload"]["code"] == "UNAUTHENTICATED"
    assert code == 1011


async def test_another_merchants_location_yields_nothing_while_its_own_merchant_is_served(
    served: RunningApp, make_token: MakeToken
) -> None:
    stock = StockOf(uuid.uuid4())
    their_location = {"locationId": global_id("Location", stock.location_id)}
    async with (
        socket(served.url, make_token(uuid.uuid4(), role="owner")) as intruder,
        socket(served.url, make_token(uuid.uuid4(), role="owner")) as intruder_unfiltered,
        socket(served.url, make_token(stock.merchant_id)) as owner,
    ):
        await intruder.subscribe(STOCK_CHANGED, their_location)
        await intruder_unfiltered.subscribe(STOCK_CHANGED)
        await owner.subscribe(STOCK_CHANGED, their_location)
        await served.subscribers(3)

        for on_hand in ("1", "2", "3"):  # three stocks of that location
            same_place = StockOf(stock.merchant_id, location_id=stock.location_id)
            await served.hub.publish(STOCK, stock.merchant_id, same_place.event(1, on_hand))
        seen_by_owner = [
            (await owner.next_data())["stockChanged"]["stock"]["onHand"] for _ in range(3)
        ]
        await asyncio.gather(intruder.nothing_for(0.5), intruder_unfiltered.nothing_for(0.5))

    assert sorted(seen_by_owner) == ["1", "2", "3"]
