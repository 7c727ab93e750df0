"""Stock changes reach subscribed websocket clients: outbox → relay → Kafka → hub → socket."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.realtime import seed
from tests.realtime.app_server import running_app
from tests.realtime.client import LOW_STOCK, STOCK_CHANGED, socket
from tests.realtime.conftest import MakeSettings, MakeToken

Sessions = async_sessionmaker[AsyncSession]


async def test_a_payment_reaches_a_subscribed_pos_with_the_stock_as_of_the_sale(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    item_id, variant_id = await seed.an_item(sessions, shop)
    await seed.adjust(sessions, shop, seed.product(shop, item_id), "10")
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
    ):
        await pos.subscribe(STOCK_CHANGED, {"locationId": global_id("Location", shop.location_id)})
        await app.subscribers(1)

        await apply_payment(
            sessions,
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=shop.merchant_id,
                location_id=shop.location_id,
                sale_order_id=uuid.uuid4(),
                items=(SaleItem(uuid.uuid4(), variant_id, Decimal(3)),),
                occurred_at=datetime.now(UTC),
            ),
        )
        change = (await pos.next_data())["stockChanged"]

    stock_key = seed.product(shop, item_id)
    assert change["stock"]["id"] == global_id("Stock", await seed.stock_id(sessions, stock_key))
    assert (change["stock"]["onHand"], change["stock"]["available"]) == ("7", "7")
    assert (change["stock"]["version"], change["stock"]["itemType"]) == (2, "PRODUCT")
    assert change["movement"]["type"] == "SALE"
    assert change["movement"]["referenceType"] == "SALE_ORDER"
    assert (change["movement"]["deltaOnHand"], change["movement"]["onHandAfter"]) == ("-3", "7")


async def test_filters_by_location_and_item_send_only_what_was_asked_for(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    kitchen = await seed.another_location(sessions, shop)
    latte, _ = await seed.an_item(sessions, shop, "latte")
    muffin, _ = await seed.an_item(sessions, shop, "muffin")
    milk = await seed.a_material(sessions, shop)
    token = make_token(shop.merchant_id)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, token) as front,
        socket(app.url, token) as latte_only,
        socket(app.url, token) as milk_only,
        socket(app.url, token) as everything,
    ):
        front_location = global_id("Location", shop.location_id)
        await front.subscribe(STOCK_CHANGED, {"locationId": front_location})
        await latte_only.subscribe(
            STOCK_CHANGED,
            {"locationId": front_location, "itemIds": [global_id("InventoryItem", latte)]},
        )
        await milk_only.subscribe(STOCK_CHANGED, {"itemIds": [str(milk)]})  # a bare UUID works
        await everything.subscribe(STOCK_CHANGED)
        await app.subscribers(4)

        await seed.adjust(sessions, kitchen, seed.product(kitchen, latte), "5")
        await seed.adjust(sessions, shop, seed.product(shop, muffin), "4")
        await seed.adjust(sessions, shop, seed.material(shop, milk), "1000")
        await seed.adjust(sessions, shop, seed.product(shop, latte), "2")

        seen_by_everything = [
            (await everything.next_data())["stockChanged"]["stock"]["onHand"] for _ in range(4)
        ]
        seen_at_front = [
            (await front.next_data())["stockChanged"]["stock"]["onHand"] for _ in range(3)
        ]
        latte_at_front = (await latte_only.next_data())["stockChanged"]["stock"]["onHand"]
        milk_anywhere = (await milk_only.next_data())["stockChanged"]["stock"]
        await front.nothing_for(0.5)
        await latte_only.nothing_for(0.1)
        await milk_only.nothing_for(0.1)

    assert sorted(seen_by_everything) == ["1000", "2", "4", "5"]
    assert sorted(seen_at_front) == ["1000", "2", "4"]
    assert latte_at_front == "2"
    assert (milk_anywhere["onHand"], milk_anywhere["itemType"]) == ("1000", "MATERIAL")


async def test_low_stock_fires_when_the_threshold_is_crossed_either_way_and_not_between(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    milk = await seed.a_material(sessions, shop)
    key = seed.material(shop, milk)
    await seed.adjust(sessions, shop, key, "1000")
    await seed.set_threshold(sessions, key, "200")
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
    ):
        await pos.subscribe(LOW_STOCK, {"locationId": global_id("Location", shop.location_id)})
        await app.subscribers(1)

        await seed.adjust(sessions, shop, key, "-700")  # 300: still above
        await seed.adjust(sessions, shop, key, "-150")  # 150: crosses down
        went_low = (await pos.next_data())["lowStock"]
        await seed.adjust(sessions, shop, key, "-50")  # 100: still low
        await seed.adjust(sessions, shop, key, "500")  # 600: crosses up
        back_up = (await pos.next_data())["lowStock"]
        await pos.nothing_for(0.5)

    assert (went_low["available"], went_low["lowStock"], went_low["version"]) == ("150", True, 3)
    assert went_low["lowStockThreshold"] == "200"
    assert (back_up["available"], back_up["lowStock"], back_up["version"]) == ("600", False, 5)


async def test_low_stock_fires_when_a_threshold_change_crosses_it_either_way(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop = await seed.a_shop(sessions)
    milk = await seed.a_material(sessions, shop)
    key = seed.material(shop, milk)
    await seed.adjust(sessions, shop, key, "300")  # version 1
    await seed.forget_staged_events(sessions)
    ref = {"locationId": str(shop.location_id), "itemType": "MATERIAL", "itemId": str(milk)}
    set_threshold = """mutation($i: StockThresholdInput!) {
        stockThresholdSet(input: $i) { stock { lowStock } userErrors { code } } }"""

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
        httpx.AsyncClient(base_url=app.http_url) as dashboard,
    ):
        owner = {"Authorization": f"Bearer {make_token(shop.merchant_id, 'owner')}"}

        async def threshold(value: str | None) -> bool:
            variables = {"i": {"stock": ref, "lowStockThreshold": value}}
            answer = await dashboard.post(
                "/graphql", json={"query": set_threshold, "variables": variables}, headers=owner
            )
            payload = answer.json()["data"]["stockThresholdSet"]
            assert payload["userErrors"] == []
            low: bool = payload["stock"]["lowStock"]
            return low

        await pos.subscribe(LOW_STOCK, {"locationId": global_id("Location", shop.location_id)})
        await app.subscribers(1)

        lows = [await threshold("200")]  # 300 > 200: not low, no crossing
        lows.append(await threshold("500"))  # raised above 300: low
        raised = (await pos.next_data())["lowStock"]
        lows.append(await threshold("400"))  # still low
        lows.append(await threshold(None))  # cleared: no longer low
        cleared = (await pos.next_data())["lowStock"]
        await seed.adjust(sessions, shop, key, "-250")  # 50, version 2: no threshold, not low
        lows.append(await threshold("100"))  # low again, by the threshold
        raised_again = (await pos.next_data())["lowStock"]
        await seed.adjust(sessions, shop, key, "100")  # 150, version 3: crosses up by a movement
        moved_up = (await pos.next_data())["lowStock"]
        await pos.nothing_for(0.5)

    assert lows == [False, True, True, False, True]
    assert raised == {
        "id": global_id("Stock", await seed.stock_id(sessions, key)),
        "available": "300",
        "lowStock": True,
        "lowStockThreshold": "500",
        "version": 1,
    }
    assert (cleared["lowStock"], cleared["lowStockThreshold"], cleared["version"]) == (
        False,
        None,
        1,
    )
    assert (raised_again["available"], raised_again["lowStock"]) == ("50", True)
    assert (raised_again["lowStockThreshold"], raised_again["version"]) == ("100", 2)
    assert (moved_up["available"], moved_up["lowStock"], moved_up["version"]) == ("150", False, 3)
