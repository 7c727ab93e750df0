# ruff: noqa: E501  (GraphQL documents read better on one line)
"""availableToSell prefetched for a page of items and read by the fast list executor
answers exactly what graphql-core's generic path and the per-item loader answer.

Aliases with different locations, variables, literals, fragments, @skip/@include,
edges, backward pages, unknown and foreign locations, more locations than the page
prefetches, and items reached without a page (which fall back to the loader).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from graphql_schema.execution import FastListExecutor
from graphql_schema.ids import global_id
from graphql_schema.items.availability import MAX_LOCATIONS
from graphql_schema.schema import build_schema
from tests.availability.world import Sessions, another_location, material, product
from tests.graphql.conftest import Gql
from tests.graphql.test_fast_lists import GENERIC, answer
from tests.graphql.test_statement_count import counted
from tests.services.sales_builders import Shop, a_shop, put_stock


class Cafe:
    def __init__(self, shop: Shop, kitchen: Shop, theirs: Shop, beans: uuid.UUID) -> None:
        self.shop, self.kitchen, self.theirs, self.beans = shop, kitchen, theirs, beans

    def variables(self) -> dict[str, Any]:
        return {
            "bar": global_id("Location", self.shop.location_id),
            "kitchen": global_id("Location", self.kitchen.location_id),
            "theirs": global_id("Location", self.theirs.location_id),
            "bare": str(self.shop.location_id),
            "material": global_id("Material", self.beans),
            "nope": "nope",
        }


@pytest.fixture
async def cafe(sessions: Sessions) -> Cafe:
    """Tracked, recipe, both (with a tie between the two limits), neither; two locations
    of the merchant, and another merchant's location."""
    shop = await a_shop(sessions)
    theirs = await a_shop(sessions)
    kitchen = await another_location(sessions, shop)
    beans = await material(sessions, shop, "100")
    milk = await material(sessions, shop, "1000.50", "ml")
    await put_stock(sessions, kitchen, kitchen.material(beans), "37")
    await product(sessions, shop, "cake", tracked=True, on_hand="4.500")
    await product(sessions, shop, "latte", {beans: "18", milk: "150"})
    await product(sessions, shop, "espresso", {beans: "18"})
    # own stock 5.000 and the recipe's 5 whole units: a tie
    await product(sessions, shop, "mocha", {beans: "18"}, tracked=True, on_hand="5.000")
    await product(sessions, shop, "oversold", tracked=True, on_hand="-2")
    await product(sessions, shop, "water")
    return Cafe(shop, kitchen, theirs, beans)


VARIABLES = "{VARIABLES}"  # replaced by the declarations of the variables the query uses


def declared(query: str) -> str:
    used = dict.fromkeys(re.findall(r"\$(\w+)", query))
    types = ", ".join(f"${name}: {'Boolean!' if name == 'yes' else 'ID!'}" for name in used)
    return query.replace(VARIABLES, f"({types})" if used else "", 1)


QUERIES = [
    # the benchmark's shape
    f"""query{VARIABLES} {{ head: inventoryItems(first: 3) {{ nodes {{ id availableToSell(locationId: $bar) }} }}
      tail: inventoryItems(last: 3) {{ nodes {{ id availableToSell(locationId: $bar) }} }} }}""",
    # aliases at different locations, a bare UUID, foreign, unknown and wrong-type ids
    f"""query{VARIABLES} {{ inventoryItems {{ nodes {{ name a: availableToSell(locationId: $bar)
      b: availableToSell(locationId: $kitchen) c: availableToSell(locationId: $theirs)
      d: availableToSell(locationId: $bare) e: availableToSell(locationId: $material)
      f: availableToSell(locationId: $nope) availableToSell(locationId: $kitchen) }} }} }}""",
    # a literal location id, beside a variable one, merged under one key
    f"""query{VARIABLES} {{ inventoryItems {{ nodes {{ a: availableToSell(locationId: $bar) ...F }} }} }}
    fragment F on InventoryItem {{ a: availableToSell(locationId: $bar) name }}""",
    # fragments, inline and named, and edges beside nodes on a backward page
    f"""query{VARIABLES} {{ inventoryItems(last: 4) {{ edges {{ cursor node {{ ...F }} }}
      nodes {{ ... on InventoryItem {{ id availableToSell(locationId: $kitchen) }} }} }} }}
    fragment F on InventoryItem {{ name trackInventory availableToSell(locationId: $bar) }}""",
    # @skip and @include by a variable
    f"""query{VARIABLES} {{ inventoryItems {{ nodes {{ name
      a: availableToSell(locationId: $bar) @include(if: $yes)
      b: availableToSell(locationId: $kitchen) @skip(if: $yes) }} }} }}""",
    # with other fields that have resolvers: the page leaves its list to graphql-core
    f"""query{VARIABLES} {{ inventoryItems {{ nodes {{ name recipe {{ quantity }}
      availableToSell(locationId: $bar) }} }} }}""",
    # items reached without an items page: the loader answers
    f"""query{VARIABLES} {{ stocks {{ nodes {{ item {{ ... on InventoryItem {{ name
      availableToSell(locationId: $bar) }} }} }} }} }}""",
    # no availableToSell at all
    f"""query{VARIABLES} {{ inventoryItems {{ nodes {{ id name }} }} }}""",
]


@pytest.fixture
def generic_gql(gql: Gql, settings: Settings) -> Gql:
    schema = build_schema(settings)
    schema.execution_context_class = GENERIC
    return Gql(schema, gql.settings, gql.sessions, gql.identity)


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("yes", [True, False])
async def test_fast_and_generic_executors_answer_alike(
    cafe: Cafe, gql: Gql, generic_gql: Gql, query: str, yes: bool
) -> None:
    variables = {**cafe.variables(), "yes": yes}
    merchant = cafe.shop.merchant_id

    query = declared(query)
    variables = {k: v for k, v in variables.items() if f"${k}" in query}
    fast = await gql(query, variables, merchant_id=merchant)
    generic = await generic_gql(query, variables, merchant_id=merchant)

    assert fast.errors is None, fast.errors
    assert answer(fast) == answer(generic)


async def test_a_page_answers_what_each_item_asked_alone_answers(cafe: Cafe, gql: Gql) -> None:
    variables = cafe.variables()
    merchant = cafe.shop.merchant_id
    keys = ("bar", "kitchen", "theirs", "bare", "material", "nope")
    fields = " ".join(f"{k}: availableToSell(locationId: ${k})" for k in keys)
    declared = ", ".join(f"${k}: ID!" for k in keys)
    page = await gql.data(
        f"query({declared}) {{ inventoryItems {{ nodes {{ id name {fields} }} }} }}",
        variables,
        merchant_id=merchant,
    )
    nodes = page["inventoryItems"]["nodes"]
    alone = [
        (
            await gql.data(
                f"query($id: ID!, {declared}) {{ inventoryItem(id: $id) {{ id name {fields} }} }}",
                {**variables, "id": node["id"]},
                merchant_id=merchant,
            )
        )["inventoryItem"]
        for node in nodes
    ]

    assert nodes == alone
    assert {n["name"]: (n["bar"], n["kitchen"], n["theirs"], n["nope"]) for n in nodes} == {
        "cake": ("4.5", "0", None, None),
        "latte": ("5", "0", None, None),  # no milk at the kitchen
        "espresso": ("5", "2", None, None),
        "mocha": ("5", "0", None, None),
        "oversold": ("0", "0", None, None),
        "water": (None, None, None, None),
    }


async def test_more_locations_than_the_page_prefetches_are_loaded(
    sessions: Sessions, cafe: Cafe, gql: Gql, generic_gql: Gql
) -> None:
    shop = cafe.shop
    extra = [await another_location(sessions, shop) for _ in range(MAX_LOCATIONS + 1)]
    await put_stock(sessions, extra[-1], extra[-1].material(cafe.beans), "40")
    fields = " ".join(
        f"l{i}: availableToSell(locationId: {global_id('Location', at.location_id)!r})"
        for i, at in enumerate(extra)
    ).replace("'", '"')
    query = f"{{ inventoryItems {{ nodes {{ name {fields} }} }} }}"

    fast = await gql(query, merchant_id=shop.merchant_id)

    assert fast.errors is None, fast.errors
    assert answer(fast) == answer(await generic_gql(query, merchant_id=shop.merchant_id))
    nodes = {n.pop("name"): n for n in fast.data["inventoryItems"]["nodes"]}  # type: ignore[index]
    last = f"l{MAX_LOCATIONS}"
    assert (nodes["espresso"]["l0"], nodes["espresso"][last]) == ("0", "2")  # 40 g / 18 g
    assert (nodes["latte"]["l0"], nodes["latte"][last]) == ("0", "0")  # no milk there


async def test_the_page_is_completed_in_one_pass_with_two_statements(
    cafe: Cafe, engine: AsyncEngine, gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    execute_field = FastListExecutor.execute_field

    def counted_field(self: FastListExecutor, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return execute_field(self, *args)

    monkeypatch.setattr(FastListExecutor, "execute_field", counted_field)
    query = "query($bar: ID!, $kitchen: ID!) { inventoryItems { nodes { id a: availableToSell(locationId: $bar) b: availableToSell(locationId: $kitchen) } } }"

    with counted(engine) as statements:
        data = await gql.data(query, cafe.variables(), merchant_id=cafe.shop.merchant_id)

    assert len(data["inventoryItems"]["nodes"]) == 6
    assert calls == 2  # inventoryItems and its nodes; no resolver per item
    assert len(statements) == 2  # the page, and one availability query for both locations
