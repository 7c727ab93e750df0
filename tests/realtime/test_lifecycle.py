"""Sockets that vanish without a close leave nothing behind; clients reconnect after a restart."""

from __future__ import annotations

import asyncio
import gc
import json
import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.embedded import free_port
from app.realtime.metrics import ConnectionCount
from app.realtime.subscriber import Subscriber
from graphql_schema.ids import global_id
from graphql_schema.subscriptions.socket import SocketContext, SocketSession
from tests.realtime import seed
from tests.realtime.app_server import RunningApp, running_app
from tests.realtime.client import STOCK_CHANGED, TRANSPORT_WS, socket
from tests.realtime.conftest import MakeSettings, MakeToken

Sessions = async_sessionmaker[AsyncSession]
BATCH = 100


async def subscribed_socket(url: str, token: str, location: str) -> ClientConnection:
    ws = await connect(url, subprotocols=[Subprotocol(TRANSPORT_WS)], compression=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    assert json.loads(await ws.recv())["type"] == "connection_ack"
    payload = {"query": STOCK_CHANGED, "variables": {"locationId": location}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return ws


def alive(kind: type) -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, kind))


async def test_a_thousand_sockets_dropped_without_a_close_leave_nothing_behind(
    served: RunningApp, make_token: MakeToken
) -> None:
    token = make_token(uuid.uuid4())
    location = global_id("Location", uuid.uuid4())
    tasks_before = len(asyncio.all_tasks())
    leftovers_before = [alive(k) for k in (Subscriber, SocketContext, SocketSession)]

    for _ in range(1000 // BATCH):
        sockets = await asyncio.gather(
            *(subscribed_socket(served.url, token, location) for _ in range(BATCH))
        )
        await served.subscribers(BATCH)
        for ws in sockets:
            ws.transport.abort()  # no close frame: the client just vanishes
        await asyncio.gather(*(ws.wait_closed() for ws in sockets))
        await served.subscribers(0)

    async with asyncio.timeout(10):
        while ConnectionCount.open or len(asyncio.all_tasks()) > tasks_before:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert (served.hub.subscriber_count, served.hub.channel_count) == (0, 0)
    assert [alive(k) for k in (Subscriber, SocketContext, SocketSession)] == leftovers_before


async def test_a_client_reconnects_after_the_server_restarts_and_gets_changes_again(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    item, _ = await seed.an_item(sessions, shop)
    key = seed.product(shop, item)
    settings, port, token = make_settings(), free_port(), make_token(shop.merchant_id)
    location = {"locationId": global_id("Location", shop.location_id)}

    async with running_app(settings, port) as before, socket(before.url, token) as pos:
        await pos.subscribe(STOCK_CHANGED, location)
        await before.subscribers(1)
        await seed.adjust(sessions, shop, key, "5")
        first = (await pos.next_data())["stockChanged"]["stock"]
        before.server.should_exit = True  # the restart begins while the POS is connected
        code_at_restart = await pos.close_code()

    async with running_app(settings, port) as after, socket(after.url, token) as pos:
        await pos.subscribe(STOCK_CHANGED, location)
        await after.subscribers(1)
        await seed.adjust(sessions, shop, key, "2")
        second = (await pos.next_data())["stockChanged"]["stock"]

    assert code_at_restart == 1012  # service restart: clients retry
    assert (first["onHand"], first["version"]) == ("5", 1)
    assert (second["onHand"], second["version"]) == ("7", 2)
