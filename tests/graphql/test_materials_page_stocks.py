"""A materials page whose nodes select `stocks` without arguments reads those stocks in
its own statement (app/db/queries/materials.materials_page_with_stocks): each material's
stocks must be what `material(id) { stocks }` answers, forward and backward, for
materials with several stocks or none; with a locationId they are read apart, as before."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Gql
from tests.graphql.statements import counted_statements

STOCKS = "stocks { id onHand available reserved version location { name } }"


@pytest.fixture
async def materials(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Three materials: two stocks, one stock, none; another merchant's with a stock."""
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    kitchen = await seed.location(sessions, MERCHANT_A, "Kitchen")
    milk = await seed.material(sessions, MERCHANT_A, "Milk", unit="ml")
    beans = await seed.material(sessions, MERCHANT_A, "Beans")
    await seed.material(sessions, MERCHANT_A, "Sugar")
    for location, on_hand in ((bar, "30"), (kitchen, "12.50")):
        await seed.stock(sessions, MERCHANT_A, location, ItemType.MATERIAL, milk, on_hand)
    await seed.stock(sessions, MERCHANT_A, kitchen, ItemType.MATERIAL, beans, "7")
    elsewhere = await seed.location(sessions, MERCHANT_B, "Elsewhere")
    theirs = await seed.material(sessions, MERCHANT_B, "Their milk")
    await seed.stock(sessions, MERCHANT_B, elsewhere, ItemType.MATERIAL, theirs, "5")
    return {"kitchen": global_id("Location", kitchen)}


async def _one_by_one(gql: Gql, nodes: list[dict[str, Any]], stocks: str) -> None:
    for node in nodes:
        one = await gql.data(
            f"query($id: ID!) {{ material(id: $id) {{ {stocks} }} }}", {"id": node["id"]}
        )
        assert node["stocks"] == one["material"]["stocks"], (node, one)


@pytest.mark.parametrize("page", ["first: 2", "last: 2", "first: 10"])
async def test_a_pages_stocks_are_each_materials_stocks(
    gql: Gql, materials: dict[str, Any], page: str
) -> None:
    data = await gql.data(f"{{ materials({page}) {{ nodes {{ id name {STOCKS} }} }} }}")
    nodes = data["materials"]["nodes"]
    assert len(nodes) == (3 if page == "first: 10" else 2)
    assert sorted(len(node["stocks"]) for node in nodes) == sorted(
        {"Milk": 2, "Beans": 1, "Sugar": 0}[node["name"]] for node in nodes
    )
    await _one_by_one(gql, nodes, STOCKS)


async def test_the_page_and_its_stocks_are_one_statement(
    gql: Gql, engine: AsyncEngine, materials: dict[str, Any]
) -> None:
    with counted_statements(engine) as statements:
        data = await gql.data(f"{{ materials {{ nodes {{ id {STOCKS} }} }} }}")
    assert len(data["materials"]["nodes"]) == 3
    # The page with its stocks, and the stocks' locations.
    assert len(statements) == 2


async def test_stocks_at_a_location_are_read_apart(gql: Gql, materials: dict[str, Any]) -> None:
    stocks = f'stocks(locationId: "{materials["kitchen"]}") {{ id onHand }}'
    data = await gql.data(f"{{ materials {{ nodes {{ id {stocks} }} }} }}")
    nodes = data["materials"]["nodes"]
    assert sorted(len(node["stocks"]) for node in nodes) == [0, 1, 1]
    await _one_by_one(gql, nodes, stocks)


async def test_aliased_stocks_with_and_without_a_location(
    gql: Gql, materials: dict[str, Any]
) -> None:
    at = f'stocks(locationId: "{materials["kitchen"]}") {{ id }}'
    data = await gql.data(
        f"{{ materials {{ nodes {{ id all: stocks {{ id onHand }} here: {at} }} }} }}"
    )
    for node in data["materials"]["nodes"]:
        one = await gql.data(
            f"query($id: ID!) {{ material(id: $id) {{ all: stocks {{ id onHand }} here: {at} }} }}",
            {"id": node["id"]},
        )
        assert (node["all"], node["here"]) == (one["material"]["all"], one["material"]["here"])
