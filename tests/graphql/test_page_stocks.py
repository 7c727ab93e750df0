"""An inventoryItems or materials page whose nodes select `stocks` without arguments
reads those stocks in its own statement (app/db/queries/items.items_pages_with_stocks,
materials.materials_page_with_stocks): each node's stocks must be what the node read by
id answers, forward and backward, with several stocks or none, on sibling pages that
share nodes; with a locationId they are read apart, as before."""

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
# (page field, the query of one node by id)
ROOTS = [("inventoryItems", "inventoryItem"), ("materials", "material")]


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Three products and three materials: two stocks, one stock, none each; another
    merchant's with a stock."""
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    kitchen = await seed.location(sessions, MERCHANT_A, "Kitchen")
    for item_type in (ItemType.PRODUCT, ItemType.MATERIAL):
        made = []
        for name in ("Two", "One", "None"):
            if item_type is ItemType.PRODUCT:
                made.append((await seed.item(sessions, MERCHANT_A, name))[0])
            else:
                made.append(await seed.material(sessions, MERCHANT_A, name))
        for location, on_hand in ((bar, "30"), (kitchen, "12.50")):
            await seed.stock(sessions, MERCHANT_A, location, item_type, made[0], on_hand)
        await seed.stock(sessions, MERCHANT_A, kitchen, item_type, made[1], "7")
    elsewhere = await seed.location(sessions, MERCHANT_B, "Elsewhere")
    theirs = await seed.material(sessions, MERCHANT_B, "Their milk")
    await seed.stock(sessions, MERCHANT_B, elsewhere, ItemType.MATERIAL, theirs, "5")
    return {"kitchen": global_id("Location", kitchen)}


async def _one_by_one(gql: Gql, one: str, nodes: list[dict[str, Any]], stocks: str) -> None:
    for node in nodes:
        by_id = await gql.data(
            f"query($id: ID!) {{ {one}(id: $id) {{ {stocks} }} }}", {"id": node["id"]}
        )
        assert node["stocks"] == by_id[one]["stocks"], (node, by_id)


@pytest.mark.parametrize(("root", "one"), ROOTS)
@pytest.mark.parametrize("page", ["first: 2", "last: 2", "first: 10"])
async def test_a_pages_stocks_are_each_nodes_stocks(
    gql: Gql, shop: dict[str, Any], page: str, root: str, one: str
) -> None:
    data = await gql.data(f"{{ {root}({page}) {{ nodes {{ id name {STOCKS} }} }} }}")
    nodes = data[root]["nodes"]
    assert len(nodes) == (3 if page == "first: 10" else 2)
    assert sorted(len(node["stocks"]) for node in nodes) == sorted(
        {"Two": 2, "One": 1, "None": 0}[node["name"]] for node in nodes
    )
    await _one_by_one(gql, one, nodes, STOCKS)


@pytest.mark.parametrize(("root", "one"), ROOTS)
async def test_the_page_and_its_stocks_are_one_statement(
    gql: Gql, engine: AsyncEngine, shop: dict[str, Any], root: str, one: str
) -> None:
    with counted_statements(engine) as statements:
        data = await gql.data(f"{{ {root} {{ nodes {{ id {STOCKS} }} }} }}")
    assert len(data[root]["nodes"]) == 3
    # The page with its stocks, and the stocks' locations.
    assert len(statements) == 2


async def test_sibling_item_pages_sharing_an_item_each_answer_its_stocks(
    gql: Gql, shop: dict[str, Any]
) -> None:
    nodes = f"nodes {{ id {STOCKS} }}"
    data = await gql.data(
        f"{{ head: inventoryItems(first: 2) {{ {nodes} }} "
        f"tail: inventoryItems(last: 2) {{ {nodes} }} }}"
    )
    head, tail = data["head"]["nodes"], data["tail"]["nodes"]
    assert head[1]["id"] == tail[0]["id"]
    await _one_by_one(gql, "inventoryItem", [*head, *tail], STOCKS)


@pytest.mark.parametrize(("root", "one"), ROOTS)
async def test_stocks_at_a_location_are_read_apart(
    gql: Gql, shop: dict[str, Any], root: str, one: str
) -> None:
    stocks = f'stocks(locationId: "{shop["kitchen"]}") {{ id onHand }}'
    data = await gql.data(f"{{ {root} {{ nodes {{ id {stocks} }} }} }}")
    nodes = data[root]["nodes"]
    assert sorted(len(node["stocks"]) for node in nodes) == [0, 1, 1]
    await _one_by_one(gql, one, nodes, stocks)


@pytest.mark.parametrize(("root", "one"), ROOTS)
async def test_aliased_stocks_with_and_without_a_location(
    gql: Gql, shop: dict[str, Any], root: str, one: str
) -> None:
    both = f'all: stocks {{ id onHand }} here: stocks(locationId: "{shop["kitchen"]}") {{ id }}'
    data = await gql.data(f"{{ {root} {{ nodes {{ id {both} }} }} }}")
    for node in data[root]["nodes"]:
        by_id = await gql.data(
            f"query($id: ID!) {{ {one}(id: $id) {{ {both} }} }}", {"id": node["id"]}
        )
        assert (node["all"], node["here"]) == (by_id[one]["all"], by_id[one]["here"])
