# ruff: noqa: E501  (GraphQL documents read better on one line)
"""availableToSell: the contract's rule, pure and through the one aggregate query."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.availability import available_to_sell
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

D = Decimal


def test_tracked_item_is_limited_by_its_own_available_never_below_zero() -> None:
    assert available_to_sell(tracked=True, stock_available=D("4.5"), recipe=[]) == D("4.5")
    assert available_to_sell(tracked=True, stock_available=D("-2"), recipe=[]) == 0
    assert available_to_sell(tracked=True, stock_available=None, recipe=[]) == 0


def test_recipe_allows_the_fewest_whole_units_of_any_material() -> None:
    recipe = [(D("100"), D("18")), (D("1000"), D("150"))]

    assert available_to_sell(tracked=False, stock_available=None, recipe=recipe) == 5
    assert available_to_sell(tracked=False, stock_available=None, recipe=[(None, D("1"))]) == 0
    assert available_to_sell(tracked=False, stock_available=None, recipe=[(D("-3"), D("1"))]) == 0


def test_both_take_the_smaller_and_neither_is_unlimited() -> None:
    assert (
        available_to_sell(tracked=True, stock_available=D("3"), recipe=[(D("100"), D("18"))]) == 3
    )
    assert (
        available_to_sell(tracked=True, stock_available=D("9"), recipe=[(D("100"), D("18"))]) == 5
    )
    assert available_to_sell(tracked=False, stock_available=D("9"), recipe=[]) is None


AVAILABLE = (
    """query($loc: ID!) { inventoryItems { nodes { name availableToSell(locationId: $loc) } } }"""
)


async def test_available_to_sell_of_many_items_at_a_location(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    beans = await seed.material(sessions, MERCHANT_A, "Beans")
    milk = await seed.material(sessions, MERCHANT_A, "Milk", "ml")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, beans, "100")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, milk, "1000")
    cake, _ = await seed.item(sessions, MERCHANT_A, "Cake", track=True)
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.PRODUCT, cake, "3")
    _, latte = await seed.item(sessions, MERCHANT_A, "Latte", track=False)
    await seed.item(sessions, MERCHANT_A, "Water", track=False)
    _, flat_white = await seed.item(sessions, MERCHANT_A, "Flat white", track=False)
    recipes = {latte: "150", flat_white: "400"}
    for variant, milk_per_cup in recipes.items():
        lines = [
            {"materialId": global_id("Material", beans), "quantity": "18"},
            {"materialId": global_id("Material", milk), "quantity": milk_per_cup},
        ]
        await gql.data(
            "mutation($v: ID!, $l: [RecipeLineInput!]!) { recipeSet(productVariantId: $v, lines: $l) { userErrors { code } } }",
            {"v": str(variant), "l": lines},
        )

    data = await gql.data(AVAILABLE, {"loc": global_id("Location", bar)})
    unknown = await gql.data(AVAILABLE, {"loc": "nope"})

    assert {n["name"]: n["availableToSell"] for n in data["inventoryItems"]["nodes"]} == {
        "Cake": "3",
        "Latte": "5",
        "Water": None,
        "Flat white": "2",
    }
    assert {n["availableToSell"] for n in unknown["inventoryItems"]["nodes"]} == {None}


def test_of_equal_limits_the_first_is_the_answer_scale_and_all() -> None:
    both = available_to_sell(tracked=True, stock_available=D("5.000"), recipe=[(D("100"), D("18"))])
    recipe_only = available_to_sell(
        tracked=False, stock_available=None, recipe=[(D("10"), D("2")), (D("5.0"), D("1"))]
    )

    assert both is not None
    assert both.as_tuple() == D("5.000").as_tuple()
    assert recipe_only is not None
    assert recipe_only.as_tuple() == D("5").as_tuple()
