"""availabilityChanged end to end: payments and a dashboard's stockAdjust → outbox → relay →
Kafka → the realtime consumer's derivation → hub → a real websocket client."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.availability.world import Sessions, material, product
from tests.realtime import seed
from tests.realtime.app_server import running_app
from tests.realtime.client import GqlSocket, socket
from tests.realtime.conftest import MakeSettings, MakeToken
from tests.services.sales_builders import Shop, a_payment, a_shop, sold

AVAILABILITY_CHANGED = """
subscription ($locationId: ID!, $itemIds: [ID!]) {
  availabilityChanged(locationId: $locationId, inventoryItemIds: $itemIds) {
    inventoryItem { id name trackInventory }
    location { id name }
    availableToSell soldOut occurredAt
  }
}
"""

STOCK_ADJUST = """
mutation ($input: StockAdjustInput!) {
  stockAdjust(input: $input) { userErrors { code message } }
}
"""


def at(shop: Shop, item_ids: list[str] | None = None) -> dict[str, object]:
    return {"locationId": global_id("Location", shop.location_id), "itemIds": item_ids}


async def change(pos: GqlSocket) -> tuple[str, str | None, bool]:
    data = (await pos.next_data())["availabilityChanged"]
    return data["inventoryItem"]["name"], data["availableToSell"], data["soldOut"]


async def test_a_pos_sees_a_latte_sell_out_and_come_back_and_nothing_else(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop, rival = await a_shop(sessions), await a_shop(sessions)
    milk = await material(sessions, shop, "320", "ml")  # two lattes and 20 ml
    beans = await material(sessions, shop, "1000")
    latte_id, latte = await product(sessions, shop, "latte", {milk: "150", beans: "18"})
    cold_brew_id, _ = await product(sessions, shop, "cold brew", {beans: "300"})  # 3 throughout
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
        socket(app.url, make_token(shop.merchant_id)) as cold_brew_screen,
        socket(app.url, make_token(rival.merchant_id)) as snooping,
        httpx.AsyncClient(base_url=app.http_url) as dashboard,
    ):
        await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        cold_brew = global_id("InventoryItem", cold_brew_id)
        await cold_brew_screen.subscribe(AVAILABILITY_CHANGED, at(shop, [cold_brew]))
        await snooping.subscribe(AVAILABILITY_CHANGED, at(shop))  # another merchant's location
        await snooping.subscribe(AVAILABILITY_CHANGED, at(rival))
        await app.subscribers(4)

        await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
        one_left = await change(pos)
        await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
        sold_out = (await pos.next_data())["availabilityChanged"]
        restock = await dashboard.post(
            "/graphql",
            json={
                "query": STOCK_ADJUST,
                "variables": {
                    "input": {
                        "stock": {
                            "locationId": global_id("Location", shop.location_id),
                            "itemType": "MATERIAL",
                            "itemId": global_id("Material", milk),
                        },
                        "delta": "1000",
                        "reason": "restock",
                    }
                },
            },
            headers={"Authorization": f"Bearer {make_token(shop.merchant_id, 'owner')}"},
        )
        back = await change(pos)
        await asyncio.gather(
            pos.nothing_for(1.0), cold_brew_screen.nothing_for(1.0), snooping.nothing_for(1.0)
        )

    assert one_left == ("latte", "1", False)
    assert sold_out["inventoryItem"] == {
        "id": global_id("InventoryItem", latte_id),
        "name": "latte",
        "trackInventory": False,
    }
    assert sold_out["location"] == {"id": global_id("Location", shop.location_id), "name": "Main"}
    assert (sold_out["availableToSell"], sold_out["soldOut"]) == ("0", True)  # 20 ml left
    assert sold_out["occurredAt"].endswith(("Z", "+00:00"))
    assert restock.json()["data"] == {"stockAdjust": {"userErrors": []}}
    assert back == ("latte", "6", False)  # 1020 ml


async def test_two_instances_on_redis_send_each_change_once_to_subscribers_of_both(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken, redis_url: str
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "300", "ml")  # two lattes
    beans = await material(sessions, shop, "36")  # two lattes: both limit, both move at once
    _, latte = await product(sessions, shop, "latte", {milk: "150", beans: "18"})
    await seed.forget_staged_events(sessions)
    group = f"inventory-realtime-{uuid.uuid4().hex[:8]}"
    settings = make_settings(broadcast_url=redis_url, realtime_consumer_group=group)
    token = make_token(shop.merchant_id)

    async with (
        running_app(settings) as first,
        running_app(settings.model_copy(update={"run_relay_in_serve": False})) as second,
        socket(first.url, token) as on_first,
        socket(second.url, token) as on_second,
    ):
        for pos in (on_first, on_second):
            await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        await first.subscribers(1)
        await second.subscribers(1)
        await asyncio.sleep(1.5)  # both members assigned and their starting offsets committed

        seen: list[list[tuple[str, str | None, bool]]] = [[], []]
        for _ in range(2):
            await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
            # Read before the next payment: a queue keeps only a product's newest value.
            for received, pos in zip(seen, (on_first, on_second), strict=True):
                received.append(await change(pos))
        await asyncio.gather(on_first.nothing_for(1.0), on_second.nothing_for(1.0))

    expected = [("latte", "1", False), ("latte", "0", True)]
    assert seen == [expected, expected]
