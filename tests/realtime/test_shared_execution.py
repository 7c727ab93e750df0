"""Terminals asking the same subscription share one execution per event; others do not."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.realtime.streams import STOCK
from graphql_schema.ids import global_id
from graphql_schema.subscriptions.shared import STATS
from tests.realtime import seed
from tests.realtime.app_server import RunningApp
from tests.realtime.client import STOCK_CHANGED, socket
from tests.realtime.conftest import MakeToken
from tests.realtime.payloads import StockOf

# This module tests the shared executions themselves: on, whatever the environment says.
SERVED_SETTINGS = {"graphql_fast_subscriptions": True}

Sessions = async_sessionmaker[AsyncSession]

ONLY_ON_HAND = """
subscription ($locationId: ID) { stockChanged(locationId: $locationId) { stock { onHand } } }
"""


async def test_same_document_and_variables_execute_once_per_event_for_all_terminals(
    served: RunningApp, make_token: MakeToken
) -> None:
    stock = StockOf(uuid.uuid4())
    here = {"locationId": global_id("Location", stock.location_id)}
    token = make_token(stock.merchant_id)
    async with (
        socket(served.url, token) as first,
        socket(served.url, token) as second,
        socket(served.url, token) as third,
        socket(served.url, token) as other_query,
        socket(served.url, token) as other_variables,
    ):
        for pos in (first, second, third):
            await pos.subscribe(STOCK_CHANGED, here)
        await other_query.subscribe(ONLY_ON_HAND, here)
        await other_variables.subscribe(STOCK_CHANGED)
        await served.subscribers(5)
        executed, shared = STATS.executed, STATS.shared

        await served.hub.publish(STOCK, stock.merchant_id, stock.event(3, "42"))
        same = [(await pos.next_data())["stockChanged"] for pos in (first, second, third)]
        narrow = (await other_query.next_data())["stockChanged"]
        wide = (await other_variables.next_data())["stockChanged"]

    assert same[0] == same[1] == same[2] == wide
    assert (same[0]["stock"]["onHand"], same[0]["stock"]["version"]) == ("42", 3)
    assert narrow == {"stock": {"onHand": "42"}}
    assert (STATS.executed - executed, STATS.shared - shared) == (3, 2)


WITH_RELATIONS = """
subscription ($locationId: ID) {
  stockChanged(locationId: $locationId) {
    stock { onHand location { name } item { ... on InventoryItem { name } } }
  }
}
"""


async def test_relations_load_from_the_database_and_are_shared_too(
    sessions: Sessions, served: RunningApp, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    item, _ = await seed.an_item(sessions, shop, "flat white")
    stock = StockOf(shop.merchant_id, location_id=shop.location_id, item_id=item)
    here = {"locationId": global_id("Location", shop.location_id)}
    token = make_token(shop.merchant_id)
    async with socket(served.url, token) as first, socket(served.url, token) as second:
        await first.subscribe(WITH_RELATIONS, here)
        await second.subscribe(WITH_RELATIONS, here)
        await served.subscribers(2)
        executed = STATS.executed

        for version in (1, 2):
            await served.hub.publish(STOCK, shop.merchant_id, stock.event(version, str(version)))
            seen = [(await pos.next_data())["stockChanged"]["stock"] for pos in (first, second)]
            assert (
                seen[0]
                == seen[1]
                == {
                    "onHand": str(version),
                    "location": {"name": "Main"},
                    "item": {"name": "flat white"},
                }
            )
        engine = served.runtime.database.engine

    assert STATS.executed - executed == 2  # once per event, not once per terminal
    assert engine.pool.checkedout() == 0  # no read connection kept between events
