"""availabilityChanged when no stock moves, end to end: a dashboard's recipeSet and a
/v1 tracking change → outbox → relay → Kafka (the internal inputs topic) → the realtime
consumer's derivation → hub → a real websocket client."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from graphql_schema.ids import global_id
from tests.availability.test_subscription import AVAILABILITY_CHANGED, at, change
from tests.availability.world import Sessions, material, product
from tests.realtime import seed
from tests.realtime.app_server import running_app
from tests.realtime.client import socket
from tests.realtime.conftest import MakeSettings, MakeToken
from tests.services.sales_builders import a_shop

RECIPE_SET = """
mutation ($variant: ID!, $lines: [RecipeLineInput!]!) {
  recipeSet(productVariantId: $variant, lines: $lines) { userErrors { code message } }
}
"""


class Dashboard:
    """The manager's screen: recipes over GraphQL, an item's tracking over /v1."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"}

    async def recipe(self, variant: uuid.UUID, lines: dict[uuid.UUID, str]) -> Any:
        variables = {
            "variant": str(variant),
            "lines": [
                {"materialId": global_id("Material", m), "quantity": q} for m, q in lines.items()
            ],
        }
        reply = await self._client.post(
            "/graphql",
            json={"query": RECIPE_SET, "variables": variables},
            headers=self._headers,
        )
        return reply.json()["data"]["recipeSet"]["userErrors"]

    async def tracking(self, variant: uuid.UUID, tracked: bool) -> int:
        reply = await self._client.put(
            f"/v1/api/inventory/product-variants/{variant}",
            json={"trackInventory": tracked},
            headers=self._headers,
        )
        return reply.status_code


async def test_a_pos_sees_recipe_and_tracking_changes_and_only_changed_values(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop, rival = await a_shop(sessions), await a_shop(sessions)
    milk = await material(sessions, shop, "320", "ml")
    dough = await material(sessions, shop, "10", "pcs")
    _, latte = await product(sessions, shop, "latte", {milk: "150"})  # 2
    _, cookie = await product(sessions, shop, "cookie", {dough: "1"}, tracked=True, on_hand="3")
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
        socket(app.url, make_token(rival.merchant_id)) as snooping,
        httpx.AsyncClient(base_url=app.http_url) as client,
    ):
        await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        await snooping.subscribe(AVAILABILITY_CHANGED, at(shop))  # another merchant's location
        await snooping.subscribe(AVAILABILITY_CHANGED, at(rival))
        await app.subscribers(3)
        dashboard = Dashboard(client, make_token(shop.merchant_id, "owner"))

        errors = [await dashboard.recipe(latte, {milk: "400"})]
        sold_out = await change(pos)
        # Still 0: nothing is sent, so the next latte change is the next message (one
        # product's events keep their order).
        errors.append(await dashboard.recipe(latte, {milk: "330"}))
        errors.append(await dashboard.recipe(latte, {milk: "100"}))
        back = await change(pos)
        statuses = [await dashboard.tracking(cookie, False)]
        untracked = await change(pos)
        statuses.append(await dashboard.tracking(cookie, True))
        tracked = await change(pos)
        await asyncio.gather(pos.nothing_for(1.0), snooping.nothing_for(1.0))

    assert errors == [[], [], []]
    assert statuses == [200, 200]
    assert sold_out == ("latte", "0", True)
    assert back == ("latte", "3", False)
    assert untracked == ("cookie", "10", False)
    assert tracked == ("cookie", "3", False)


async def test_two_instances_on_redis_send_a_recipe_change_once_to_subscribers_of_both(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken, redis_url: str
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "320", "ml")
    _, latte = await product(sessions, shop, "latte", {milk: "150"})  # 2
    await seed.forget_staged_events(sessions)
    group = f"inventory-realtime-{uuid.uuid4().hex[:8]}"
    settings = make_settings(broadcast_url=redis_url, realtime_consumer_group=group)
    token = make_token(shop.merchant_id)

    async with (
        running_app(settings) as first,
        running_app(settings.model_copy(update={"run_relay_in_serve": False})) as second,
        socket(first.url, token) as on_first,
        socket(second.url, token) as on_second,
        httpx.AsyncClient(base_url=first.http_url) as client,
    ):
        for pos in (on_first, on_second):
            await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        await first.subscribers(1)
        await second.subscribers(1)
        await asyncio.sleep(1.5)  # both members assigned and their starting offsets committed
        dashboard = Dashboard(client, make_token(shop.merchant_id, "owner"))

        seen: list[list[tuple[str, str | None, bool]]] = [[], []]
        for quantity in ("400", "100"):
            await dashboard.recipe(latte, {milk: quantity})
            # Read before the next change: a queue keeps only a product's newest value.
            for received, pos in zip(seen, (on_first, on_second), strict=True):
                received.append(await change(pos))
        await asyncio.gather(on_first.nothing_for(1.0), on_second.nothing_for(1.0))

    expected = [("latte", "0", True), ("latte", "3", False)]
    assert seen == [expected, expected]
