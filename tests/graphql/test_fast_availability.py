# ruff: noqa: E501  (GraphQL documents read better on one line)
"""availableToSell prefetched for a page of items and answered by the list plan
answers exactly what graphql-core's generic path and the per-item loader answer.

Aliases with different locations, variables, literals, fragments, @skip/@include,
edges, backward pages, unknown and foreign locations, more locations than the page
prefetches, and items reached without a page (which fall back to the loader).
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, DecimalTuple
from typing import Any

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.queries.availability import availability_inputs
from app.db.queries.items import ItemsPage, items_pages_with_availability
from app.db.queries.keyset import KeysetPage
from app.domain.availability import available_to_sell
from app.settings import Settings
from graphql_schema.execution import BatchedListExecutor
from graphql_schema.ids import global_id, parse_id
from graphql_schema.items import types as item_types
from graphql_schema.items.availability import MAX_LOCATIONS
from graphql_schema.schema import build_schema
from tests.availability.world import Sessions, another_location, material, product
from tests.graphql.conftest import Gql
from tests.graphql.statements import counted_statements
from tests.graphql.test_fast_lists import GENERIC, answer
from tests.services.sales_builders import Shop, a_shop, put_stock


@pytest.fixture(scope="module")
def schema(settings: Settings) -> strawberry.Schema:
    # This module tests the fast path itself: on, whatever the environment switches off.
    return build_schema(settings.model_copy(update={"graphql_fast_execution": True}))


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
    # the page's SQL against the loader's Python: a zero of another scale, fractional
    # lines, a material below zero
    sugar = await material(sessions, shop, "-3")
    await product(sessions, shop, "zero", tracked=True, on_hand="0.000")
    await product(sessions, shop, "fraction", {beans: "0.75", milk: "2.5"})
    await product(sessions, shop, "sweet", {beans: "18", sugar: "1"}, tracked=True, on_hand="7")
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
def gql(gql: Gql, settings: Settings) -> Gql:
    """The plan on, whatever GRAPHQL_FAST_EXECUTION says: these tests are the plan's."""
    on = settings.model_copy(update={"graphql_fast_execution": True})
    return Gql(build_schema(on), gql.settings, gql.sessions, gql.identity)


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
        "zero": ("0", "0", None, None),
        "fraction": ("133", "0", None, None),  # 100 g / 0.75 g (1000.50 ml / 2.5 ml: 400)
        "sweet": ("0", "0", None, None),
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


async def test_the_page_is_completed_in_one_pass_with_one_statement(
    cafe: Cafe, engine: AsyncEngine, gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    execute_field = BatchedListExecutor.execute_field

    def counted_field(self: BatchedListExecutor, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return execute_field(self, *args)

    monkeypatch.setattr(BatchedListExecutor, "execute_field", counted_field)
    query = "query($bar: ID!, $kitchen: ID!) { inventoryItems { nodes { id a: availableToSell(locationId: $bar) b: availableToSell(locationId: $kitchen) } } }"

    with counted_statements(engine) as statements:
        data = await gql.data(query, cafe.variables(), merchant_id=cafe.shop.merchant_id)

    assert len(data["inventoryItems"]["nodes"]) == 9
    assert calls == 2  # inventoryItems and its nodes; no resolver per item
    assert len(statements) == 1  # the page with its availability at both locations


async def test_a_location_is_parsed_once_per_page_not_once_per_item(
    cafe: Cafe, gql: Gql, monkeypatch: pytest.MonkeyPatch
) -> None:
    """availableToSell is a batched column on the plan: each alias's location id is
    parsed once for the page's 9 items (per item it was 9 times each)."""
    parsed: list[Any] = []

    def counted(value: Any, type_name: str) -> uuid.UUID | None:
        parsed.append(value)
        return parse_id(value, type_name)

    monkeypatch.setattr(item_types, "parse_id", counted)
    variables = cafe.variables()
    query = "query($bar: ID!, $kitchen: ID!) { inventoryItems { nodes { id a: availableToSell(locationId: $bar) b: availableToSell(locationId: $kitchen) } } }"

    data = await gql.data(query, variables, merchant_id=cafe.shop.merchant_id)

    assert len(data["inventoryItems"]["nodes"]) == 9
    assert sorted(parsed) == sorted([variables["bar"], variables["kitchen"]])


async def test_the_pages_sql_answers_the_domain_rule_value_and_scale(
    sessions: Sessions, cafe: Cafe
) -> None:
    """with_available_to_sell (SQL) against available_to_sell over availability_inputs
    (Python), Decimal for Decimal, exponent included: a client must not tell them apart."""
    merchant = cafe.shop.merchant_id
    locations = [
        cafe.shop.location_id,
        cafe.kitchen.location_id,
        cafe.theirs.location_id,
        uuid.uuid4(),
    ]
    async with sessions() as session:
        # bound parameters (no search), and with a search (built per request)
        (page,) = await items_pages_with_availability(
            session, merchant, [ItemsPage(KeysetPage(50))], locations
        )
        searched = await items_pages_with_availability(
            session,
            merchant,
            [ItemsPage(KeysetPage(50), search="a"), ItemsPage(KeysetPage(2, backward=True))],
            locations,
        )
        ids = [row.id for row in page.rows]
        inputs = await availability_inputs(
            session, merchant, [(i, at) for i in ids for at in locations]
        )

    def rule(item_id: uuid.UUID, location_id: uuid.UUID) -> Decimal | None:
        found = inputs.get((item_id, location_id))
        if found is None:
            return None
        return available_to_sell(
            tracked=found.tracked, stock_available=found.stock_available, recipe=found.recipe
        )

    def exact(value: Decimal | None) -> DecimalTuple | None:
        return None if value is None else value.as_tuple()

    assert len(page.rows) == 9
    assert [len(p.rows) for p in searched] == [5, 2]  # cake, latte, mocha, water, fraction
    for found in searched:
        assert [r[1:] for r in found.rows] == [
            r[1:] for r in page.rows if r.id in {f.id for f in found.rows}
        ]
    sql = {
        (row.id, at): exact(row[-len(locations) + k])
        for row in page.rows
        for k, at in enumerate(locations)
    }
    python = {(i, at): exact(rule(i, at)) for i in ids for at in locations}
    assert sql == python
    assert {value for value in sql.values() if value is not None and value.exponent != 0}


SIBLINGS = {
    "a": "inventoryItems(first: 4) { %s }",
    "b": "inventoryItems(last: 4) { %s }",
    "c": 'inventoryItems(first: 2, search: "o") { %s }',
    "d": "inventoryItems(last: 20) { %s }",
    "e": "inventoryItems(last: 3, before: $cursor) { %s }",
}
SELECTION = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id name availableToSell(locationId: $bar) }"


async def test_sibling_pages_are_read_in_one_statement_each_as_if_alone(
    cafe: Cafe, engine: AsyncEngine, gql: Gql
) -> None:
    """Aliased pages asking for the same locations share one UNION ALL statement (the
    benchmark's head and tail); a page asking for other locations gets its own."""
    merchant = cafe.shop.merchant_id
    first = await gql.data(
        "{ inventoryItems(first: 6) { pageInfo { endCursor } } }", merchant_id=merchant
    )
    variables = {**cafe.variables(), "cursor": first["inventoryItems"]["pageInfo"]["endCursor"]}
    fields = " ".join(f"{alias}: {field % SELECTION}" for alias, field in SIBLINGS.items())
    other = "x: inventoryItems(first: 3) { nodes { id availableToSell(locationId: $kitchen) } }"
    query = f"query($bar: ID!, $kitchen: ID!, $cursor: String!) {{ {fields} {other} }}"

    with counted_statements(engine) as statements:
        together = await gql.data(query, variables, merchant_id=merchant)

    assert len(statements) == 2
    assert "UNION ALL" in statements[0] or "UNION ALL" in statements[1]
    for alias, field in SIBLINGS.items():
        used = "$bar: ID!, $cursor: String!" if "$cursor" in field else "$bar: ID!"
        alone = await gql.data(
            f"query({used}) {{ {alias}: {field % SELECTION} }}",
            {k: v for k, v in variables.items() if f"${k}:" in used},
            merchant_id=merchant,
        )
        assert together[alias] == alone[alias], alias
    assert [len(together[a]["nodes"]) for a in SIBLINGS] == [4, 4, 2, 9, 3]
    assert together["b"]["pageInfo"]["hasPreviousPage"] is True
    assert together["d"]["pageInfo"]["hasPreviousPage"] is False
