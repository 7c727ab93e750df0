"""Prep items in product recipes: a sale reserves the prep item (not what it was made of),
the kitchen consumes it, availableToSell counts what has been made, and a POS sees a cold
brew drink sell out when the batch runs low and come back when a production is recorded."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from app.domain.enums import KitchenEffect, KitchenStatus, MovementType
from app.domain.errors import DomainError, UserErrorCode
from app.services.prep_recipes import PrepRecipeInput, set_prep_recipe
from app.services.productions import ProductionInput, record_production
from app.services.recipes import RecipeLineInput
from app.services.sales import apply_kitchen_status, apply_payment
from graphql_schema.ids import global_id
from tests.availability.test_available_to_sell import available
from tests.availability.test_subscription import AVAILABILITY_CHANGED, at, change
from tests.availability.world import Sessions, material, product
from tests.graphql.conftest import Gql
from tests.realtime import seed
from tests.realtime.app_server import running_app
from tests.realtime.client import socket
from tests.realtime.conftest import MakeSettings, MakeToken
from tests.services.sales_builders import (
    Shop,
    a_payment,
    a_shop,
    assert_ledger_holds,
    kitchen_event,
    movements,
    quantities,
    sold,
)

PRODUCTION_RECORD = """
mutation ($input: ProductionInput!) {
  productionRecord(input: $input) { production { quantityProduced } userErrors { code message } }
}
"""


async def cold_brew_bar(
    sessions: Sessions, *, brew_on_hand: str, coffee: str = "1000"
) -> tuple[Shop, uuid.UUID, uuid.UUID, uuid.UUID]:
    """(shop, coffee, cold brew prep item, cold brew drink's variant): a 900 ml batch
    takes 100 g of coffee; a drink takes 300 ml of cold brew."""
    shop = await a_shop(sessions)
    beans = await material(sessions, shop, coffee)
    brew = await material(sessions, shop, brew_on_hand, "ml")
    await set_prep_recipe(
        sessions,
        shop.actor,
        brew,
        PrepRecipeInput(Decimal(900), [RecipeLineInput(beans, Decimal(100))]),
    )
    _, drink = await product(sessions, shop, "cold brew drink", {brew: "300"})
    return shop, beans, brew, drink


async def produce(
    kitchen: httpx.AsyncClient,
    token: str,
    shop: Shop,
    prep_item: uuid.UUID,
    quantity: str,
    unit: str | None = None,
) -> httpx.Response:
    """productionRecord over HTTP, as a kitchen's tablet posts it."""
    made = {
        "locationId": global_id("Location", shop.location_id),
        "materialId": global_id("Material", prep_item),
        "quantityProduced": quantity,
        "unit": unit,
    }
    return await kitchen.post(
        "/graphql",
        json={"query": PRODUCTION_RECORD, "variables": {"input": made}},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_a_sale_reserves_the_prep_item_and_the_kitchen_consumes_it(
    sessions: Sessions,
) -> None:
    shop, beans, brew, drink = await cold_brew_bar(sessions, brew_on_hand="900")
    item = sold(drink, "2")
    payment = a_payment(shop, [item])

    await apply_payment(sessions, payment)
    reserved = await quantities(sessions, shop.material(brew))
    outcome = await apply_kitchen_status(
        sessions,
        kitchen_event(
            shop, payment, item, KitchenStatus.READY, kitchen_ticket_item_id=uuid.uuid4()
        ),
    )

    assert reserved == (Decimal(900), Decimal(600))
    assert outcome.effect is KitchenEffect.CONSUMED
    assert await quantities(sessions, shop.material(brew)) == (Decimal(300), Decimal(0))
    # What the batch was made of is not touched by sales.
    assert await quantities(sessions, shop.material(beans)) == (Decimal(1000), Decimal(0))
    assert [m[0] for m in await movements(sessions, shop.material(brew))] == [
        MovementType.ADJUSTMENT,
        MovementType.SALE_RESERVATION,
        MovementType.KITCHEN_CONSUMPTION,
    ]
    await assert_ledger_holds(sessions)


async def test_available_to_sell_counts_what_has_been_made(sessions: Sessions, gql: Gql) -> None:
    # 1000 g of coffee could make 9000 ml, but only 700 ml are made: two drinks.
    shop, _, _, _ = await cold_brew_bar(sessions, brew_on_hand="700")

    assert await available(gql, shop) == {"cold brew drink": "2"}


async def test_a_pos_sees_a_cold_brew_drink_sell_out_and_come_back_after_a_production(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop, _, brew, drink = await cold_brew_bar(
        sessions, brew_on_hand="700"
    )  # two drinks and 100 ml
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
        httpx.AsyncClient(base_url=app.http_url) as kitchen,
    ):
        await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        await app.subscribers(1)

        await apply_payment(sessions, a_payment(shop, [sold(drink, "1")]))
        one_left = await change(pos)
        await apply_payment(sessions, a_payment(shop, [sold(drink, "1")]))
        sold_out = await change(pos)
        made = await produce(kitchen, make_token(shop.merchant_id, "owner"), shop, brew, "1.8", "l")
        back = await change(pos)
        await pos.nothing_for(1.0)

    assert one_left == ("cold brew drink", "1", False)
    assert sold_out == ("cold brew drink", "0", True)  # 100 ml left
    assert made.json()["data"] == {
        "productionRecord": {"production": {"quantityProduced": "1800"}, "userErrors": []}
    }
    # 1900 ml available: six drinks. The coffee it took moves no product, so it sends nothing.
    assert back == ("cold brew drink", "6", False)


async def test_a_production_moves_only_what_uses_the_prep_item(
    sessions: Sessions, make_settings: MakeSettings, make_token: MakeToken
) -> None:
    shop, beans, brew, _ = await cold_brew_bar(sessions, brew_on_hand="300")
    await product(sessions, shop, "espresso", {beans: "250"})  # 4 from 1000 g
    await seed.forget_staged_events(sessions)

    async with (
        running_app(make_settings()) as app,
        socket(app.url, make_token(shop.merchant_id)) as pos,
        httpx.AsyncClient(base_url=app.http_url) as kitchen,
    ):
        await pos.subscribe(AVAILABILITY_CHANGED, at(shop))
        await app.subscribers(1)
        # 2700 ml take 300 g of coffee.
        await produce(kitchen, make_token(shop.merchant_id, "owner"), shop, brew, "2700")
        first, second = await change(pos), await change(pos)
        await pos.nothing_for(1.0)

    # The drink's prep item went up (1 -> 10), the espresso's coffee down (4 -> 2).
    assert sorted([first, second]) == [("cold brew drink", "10", False), ("espresso", "2", False)]


async def test_a_production_is_refused_by_what_is_available_not_on_hand(
    sessions: Sessions,
) -> None:
    # 1000 g of coffee on hand, 750 g reserved by three paid espressos not yet made.
    shop, beans, brew, _ = await cold_brew_bar(sessions, brew_on_hand="0")
    _, espresso = await product(sessions, shop, "espresso", {beans: "250"})
    await apply_payment(sessions, a_payment(shop, [sold(espresso, "3")]))

    # 2700 ml take 300 g: on hand has it, available (250 g) does not.
    with pytest.raises(DomainError) as refused:
        await record_production(
            sessions, shop.actor, ProductionInput(shop.location_id, brew, Decimal(2700))
        )
    made = await record_production(
        sessions, shop.actor, ProductionInput(shop.location_id, brew, Decimal(1800))
    )

    assert refused.value.problems[0].code is UserErrorCode.INSUFFICIENT_STOCK
    assert refused.value.problems[0].message == "m: 300 needed, 250 available"
    assert made is not None
    assert await quantities(sessions, shop.material(beans)) == (Decimal(800), Decimal(750))
    assert await quantities(sessions, shop.material(brew)) == (Decimal(1800), Decimal(0))
    await assert_ledger_holds(sessions)
