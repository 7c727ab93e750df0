# ruff: noqa: E501  (GraphQL documents read better on one line)
"""InventoryItem.availableToSell through the API, exactly as the contract defines it, and a
page of items costing the same few statements whatever its size."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables as t
from app.db.models.base import uuid7
from app.domain.enums import ItemType, RecipeOwner
from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.availability.world import Sessions, material, product
from tests.graphql.conftest import Gql
from tests.graphql.statements import counted_statements
from tests.services.sales_builders import Shop, a_payment, a_shop, put_stock, sold

AVAILABLE = "query($loc: ID!) { inventoryItems(first: 100) { nodes { name availableToSell(locationId: $loc) } } }"


async def available(
    gql: Gql, shop: Shop, location_id: uuid.UUID | None = None
) -> dict[str, str | None]:
    data = await gql.data(
        AVAILABLE,
        {"loc": global_id("Location", location_id or shop.location_id)},
        merchant_id=shop.merchant_id,
    )
    return {n["name"]: n["availableToSell"] for n in data["inventoryItems"]["nodes"]}


async def test_tracked_recipe_both_and_neither(sessions: Sessions, gql: Gql) -> None:
    shop = await a_shop(sessions)
    beans = await material(sessions, shop, "100")
    milk = await material(sessions, shop, "1000", "ml")
    await product(sessions, shop, "cake", tracked=True, on_hand="4.5")
    await product(sessions, shop, "latte", {beans: "18", milk: "150"})
    await product(
        sessions, shop, "iced latte", {beans: "18", milk: "150"}, tracked=True, on_hand="3"
    )
    await product(
        sessions, shop, "flat white", {beans: "18", milk: "100"}, tracked=True, on_hand="9"
    )
    await product(sessions, shop, "water")

    found = await available(gql, shop)

    assert found == {
        "cake": "4.5",  # tracked: its stock's available, fractions and all
        "latte": "5",  # recipe: the fewest whole units, beans 100 / 18
        "iced latte": "3",  # both: the smaller, its own stock
        "flat white": "5",  # both: the smaller, the recipe
        "water": None,  # neither: not limited
    }


async def test_below_zero_counts_as_zero(sessions: Sessions, gql: Gql) -> None:
    shop = await a_shop(sessions)
    beans = await material(sessions, shop, "10")
    never_stocked = await material(sessions, shop, "0")
    await product(sessions, shop, "oversold cake", tracked=True, on_hand="-2")
    await product(sessions, shop, "espresso", {beans: "7"})
    await product(sessions, shop, "affogato", {beans: "7", never_stocked: "1"})
    await product(sessions, shop, "new tracked item", tracked=True)
    await put_stock(sessions, shop, shop.material(beans), "-15")  # -5 g

    found = await available(gql, shop)

    assert found == {
        "oversold cake": "0",
        "espresso": "0",
        "affogato": "0",
        "new tracked item": "0",
    }


async def test_fractional_recipe_lines_and_reservations_count_exactly(
    sessions: Sessions, gql: Gql
) -> None:
    shop = await a_shop(sessions)
    dough = await material(sessions, shop, "3.2", "pcs")
    chips = await material(sessions, shop, "1.05", "pcs")
    _, cookie = await product(sessions, shop, "cookie", {dough: "0.5"})  # 6.4 -> 6
    await product(sessions, shop, "chip cookie", {dough: "0.5", chips: "0.35"})  # 1.05 / 0.35 = 3
    await apply_payment(sessions, a_payment(shop, [sold(cookie, "1")]))  # reserves 0.5 dough

    found = await available(gql, shop)

    assert found == {"cookie": "5", "chip cookie": "3"}  # 2.7 dough available: 5


async def test_another_location_and_another_merchants_location(
    sessions: Sessions, gql: Gql
) -> None:
    shop = await a_shop(sessions)
    theirs = await a_shop(sessions)
    beans = await material(sessions, shop, "100")
    await product(sessions, shop, "espresso", {beans: "18"})
    await product(sessions, shop, "cake", tracked=True, on_hand="2")
    kitchen = uuid7()
    async with sessions.begin() as session:
        await session.execute(
            insert(t.location).values(id=kitchen, merchant_id=shop.merchant_id, name="Kitchen")
        )

    at_kitchen = await available(gql, shop, kitchen)
    at_theirs = await available(gql, shop, theirs.location_id)

    assert at_kitchen == {"espresso": "0", "cake": "0"}  # no stock there
    assert at_theirs == {"espresso": None, "cake": None}  # like an unknown location


async def _recipe_items(sessions: Sessions, shop: Shop, count: int, lines: int = 5) -> None:
    """`count` untracked items with `lines` recipe lines each, all materials stocked."""
    materials = [
        {"id": uuid7(), "merchant_id": shop.merchant_id, "name": f"m{i}", "unit": "g"}
        for i in range(lines)
    ]
    items, recipes, recipe_lines = [], [], []
    for i in range(count):
        item_id, variant_id, recipe_id = uuid7(), uuid.uuid4(), uuid7()
        items.append(
            {
                "id": item_id,
                "merchant_id": shop.merchant_id,
                "product_variant_id": variant_id,
                "name": f"i{i}",
                "unit": "pcs",
            }
        )
        recipes.append(
            {
                "id": recipe_id,
                "merchant_id": shop.merchant_id,
                "owner_type": RecipeOwner.PRODUCT_VARIANT,
                "owner_id": variant_id,
            }
        )
        recipe_lines += [
            {
                "id": uuid7(),
                "merchant_id": shop.merchant_id,
                "recipe_id": recipe_id,
                "material_id": m["id"],
                "quantity": Decimal(j + 1),
                "position": j,
            }
            for j, m in enumerate(materials)
        ]
    stocks = [
        {
            "id": uuid7(),
            "merchant_id": shop.merchant_id,
            "location_id": shop.location_id,
            "item_type": ItemType.MATERIAL,
            "material_id": m["id"],
            "on_hand": Decimal(100),
            "version": 0,
        }
        for m in materials
    ]
    async with sessions.begin() as session:
        await session.execute(insert(t.material), materials)
        await session.execute(insert(t.inventory_item), items)
        await session.execute(insert(t.recipe), recipes)
        await session.execute(insert(t.recipe_line), recipe_lines)
        await session.execute(insert(t.stock), stocks)


async def test_ten_and_a_hundred_items_cost_the_same_statements(
    sessions: Sessions, engine: AsyncEngine, gql: Gql
) -> None:
    small, large = await a_shop(sessions), await a_shop(sessions)
    await _recipe_items(sessions, small, 10)
    await _recipe_items(sessions, large, 100)

    with counted_statements(engine) as for_ten:
        ten = await available(gql, small)
    with counted_statements(engine) as for_a_hundred:
        hundred = await available(gql, large)

    assert (len(ten), len(hundred)) == (10, 100)
    assert set(ten.values()) == set(hundred.values()) == {"20"}  # 100 g / 5 g per unit
    # the items page with its availability, one statement
    assert len(for_ten) == len(for_a_hundred) == 1
