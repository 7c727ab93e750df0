"""The actual cost: counted on the returned data, and the rest of the estimate refunded."""

from __future__ import annotations

from typing import Any

from graphql import parse

from graphql_schema.security import CostRules
from graphql_schema.security.actual_cost import actual_cost
from tests.fakes.clock import FakeClock
from tests.graphql_security.shapes import Caller, build

SCHEMA = build()._schema
RULES = CostRules(default_page_size=50, mutation_cost=10)

# Locations of the test schema hold 3 stocks, whatever page size is asked for.
LOCATION_PAGE = '{ location(id: "l1") { stocks(first: 100) { nodes { id location { id } } } } }'


def actual(query: str, data: dict[str, Any]) -> int:
    return actual_cost(SCHEMA, parse(query), RULES, data)


def cost_extension(result: Any) -> dict[str, Any]:
    assert result.extensions is not None
    return dict(result.extensions["cost"])


async def test_only_the_nodes_returned_are_charged() -> None:
    result = await build(clock=FakeClock(0)).execute(LOCATION_PAGE, context_value=Caller("a"))

    assert result.errors is None
    assert cost_extension(result) == {
        "requestedQueryCost": 1 + (100 * (1 + 1) + 2),
        "actualQueryCost": 1 + (3 * (1 + 1) + 2),
        "throttleStatus": {
            "maximumAvailable": 2000,
            "currentlyAvailable": 1991,
            "restoreRate": 100,
        },
    }


async def test_an_object_that_came_back_null_costs_nothing() -> None:
    query = '{ a: stock(id: "missing") { location { id } } b: stock(id: "s1") { location { id } } }'

    result = await build(clock=FakeClock(0)).execute(query, context_value=Caller("a"))

    assert result.data == {"a": None, "b": {"location": {"id": "l1"}}}
    assert cost_extension(result)["requestedQueryCost"] == 4
    assert cost_extension(result)["actualQueryCost"] == 2


async def test_a_result_with_errors_keeps_the_whole_estimate_charged() -> None:
    query = '{ location(id: "l1") { stocks(first: 100) { nodes { id } } } boom }'

    result = await build(clock=FakeClock(0)).execute(query, context_value=Caller("a"))

    assert result.errors
    assert cost_extension(result)["actualQueryCost"] == 103
    assert cost_extension(result)["throttleStatus"]["currentlyAvailable"] == 2000 - 103


def test_nodes_and_edges_of_one_connection_are_the_same_objects() -> None:
    query = """{ stocks(first: 10) {
        nodes { id location { id } }
        edges { cursor node { location { name } movements(first: 5) { nodes { id } } } }
    } }"""
    node = {"id": "s1", "location": {"id": "l1"}}
    edge = {"cursor": "c", "node": {"location": {"name": "Main"}, "movements": {"nodes": [{}]}}}
    data = {"stocks": {"nodes": [node, node], "edges": [edge, edge]}}

    # Each of the 2 stocks: 1 + location 1 + movements (1 node + 2).
    assert actual(query, data) == 2 * (1 + 1 + (1 + 2)) + 2


def test_a_mutation_costs_10_plus_the_payload_it_returned() -> None:
    query = """mutation { stockAdjust(input: {stockId: "s1", delta: "1"}) {
        stock { location { id } } userErrors { code }
    } }"""

    assert actual(
        query, {"stockAdjust": {"stock": {"location": {"id": "l1"}}, "userErrors": []}}
    ) == (10 + 2)
    assert actual(query, {"stockAdjust": {"stock": None, "userErrors": [{"code": "X"}]}}) == 10 + 1


def test_a_union_counts_the_costliest_of_its_types() -> None:
    query = (
        '{ stock(id: "s1") { item { ... on Material { name } ... on InventoryItem { name } } } }'
    )

    assert actual(query, {"stock": {"item": {"name": "Milk"}}}) == 2


def test_every_mutation_field_costs_10_even_without_a_payload_selection() -> None:
    query = """mutation {
        a: stockAdjust(input: {stockId: "s1", delta: "1"}) { __typename }
        b: stockAdjust(input: {stockId: "s2", delta: "1"}) { userErrors { code } }
        ping
        __typename
    }"""
    data = {
        "a": {"__typename": "StockPayload"},
        "b": {"userErrors": []},
        "ping": True,
        "__typename": "Mutation",
    }

    assert actual(query, data) == 10 + 10 + 10


def test_nested_lists_count_their_costliest_element_and_empty_ones_nothing() -> None:
    # The items page's shape on the real schema: a connection of items, each with plain
    # lists of recipe lines (each line an object with an object below) and of stocks.
    from app.settings import Settings
    from graphql_schema.schema import build_schema
    from graphql_schema.security.cost import CONNECTION_OVERHEAD

    query = """{ inventoryItems(first: 100) { nodes { id
      recipe { quantity material { id } } stocks { id } } } }"""
    line = {"quantity": "1", "material": {"id": "m"}}
    data = {
        "inventoryItems": {
            "nodes": [
                {
                    "id": "a",
                    "recipe": [line, line, {"quantity": "2", "material": None}],
                    "stocks": [{"id": "s1"}, {"id": "s2"}],
                },
                {"id": "b", "recipe": [], "stocks": []},
                {"id": "c", "recipe": [[line]], "stocks": None},
            ]
        }
    }
    # a: 1 + recipe (the costliest line: 1 + its material 1) + stocks (a list: 1);
    # b: 1 (its empty lists cost nothing); c: 1 + a list in a list counts as its line, 2.
    expected = CONNECTION_OVERHEAD + (1 + 2 + 1) + 1 + (1 + 2)

    schema = build_schema(Settings())._schema
    assert actual_cost(schema, parse(query), RULES, data) == expected
