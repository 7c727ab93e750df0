"""The cost estimate, exactly as the contract states it: object 1, scalar 0,
connection size x node + 2, mutation 10, nested connections multiplying."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query, parse

from graphql_schema.security import CostRules, operation_cost
from tests.graphql_security.shapes import build

SCHEMA = build()._schema
RULES = CostRules(default_page_size=50, mutation_cost=10)


def cost(query: str, variables: dict[str, Any] | None = None, name: str | None = None) -> int:
    return operation_cost(SCHEMA, parse(query), RULES, name, variables)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ hello }", 0),
        ('{ stock(id: "s1") { id onHand } }', 1),
        ('{ stock(id: "s1") { location { name } } }', 2),
        ('{ a: stock(id: "s1") { id } b: stock(id: "s2") { location { id } } }', 1 + 2),
        ("{ stocks(first: 10) { nodes { id } } }", 10 * 1 + 2),
        ("{ stocks(last: 7) { edges { cursor node { id } } } }", 7 * 1 + 2),
        ("{ stocks(first: 3, last: 9) { nodes { id } } }", 9 * 1 + 2),
        ("{ stocks { nodes { id } } }", 50 * 1 + 2),
        ("{ stocks(first: 10) { totalCount pageInfo { hasNextPage } } }", 2),
        ("{ stocks(first: 0) { nodes { location { id } } } }", 2),
    ],
)
def test_objects_scalars_and_connections(query: str, expected: int) -> None:
    assert cost(query) == expected


def test_nodes_and_edges_name_the_same_objects_so_their_selections_merge() -> None:
    query = """{ stocks(first: 10) {
        edges { cursor node { location { id } } }
        nodes { id item { __typename } }
        pageInfo { endCursor } totalCount
    } }"""

    # Each node: itself 1 + location 1 + item 1.
    assert cost(query) == 10 * (1 + 1 + 1) + 2


def test_nested_connections_multiply() -> None:
    query = """{ stocks(first: 10) { nodes {
        location { id }
        movements(first: 5) { nodes { id } }
    } } }"""

    assert cost(query) == 10 * (1 + 1 + (5 * 1 + 2)) + 2


def test_three_levels_of_connections() -> None:
    query = """{ location(id: "l1") { stocks(first: 20) { edges { node {
        movements(first: 4) { nodes { id } }
    } } } } }"""

    assert cost(query) == 1 + (20 * (1 + (4 * 1 + 2)) + 2)


def test_page_sizes_come_from_variables_or_their_defaults() -> None:
    query = "query($n: Int = 30) { stocks(first: $n) { nodes { id } } }"

    assert cost(query, {"n": 20}) == 22
    assert cost(query) == 32
    assert cost(query, {"n": None}) == 52


def test_a_mutation_costs_10_plus_what_its_payload_selects() -> None:
    single = 'mutation { stockAdjust(input: {stockId: "s1", delta: "1"}) { userErrors { code } } }'
    double = """mutation {
        a: stockAdjust(input: {stockId: "s1", delta: "1"}) { stock { location { id } } }
        b: stockAdjust(input: {stockId: "s2", delta: "1"}) { userErrors { code } }
    }"""

    assert cost(single) == 10 + 1
    assert cost("mutation { ping __typename }") == 10
    assert cost(double) == (10 + 2) + (10 + 1)


def test_an_interface_or_union_costs_its_costliest_possible_type() -> None:
    query = """{ node(id: "s1") {
        id
        ... on Stock { location { id } }
        ... on Location { mainStock { location { id } } }
    } }"""
    union = '{ stock(id: "s1") { item { ... on Material { name } } } }'

    assert cost(query) == 1 + 2
    assert cost(union) == 1 + 1


def test_fragments_count_where_spread_and_a_repeated_field_once() -> None:
    query = """{ stock(id: "s1") { ...Where ...Where location { name } } }
        fragment Where on Stock { location { id } }"""

    assert cost(query) == 2


def test_the_chosen_operation_is_priced() -> None:
    document = "query Small { hello } query Big { stocks(first: 100) { nodes { id } } }"

    assert cost(document, name="Small") == 0
    assert cost(document, name="Big") == 102


def test_introspection_costs_nothing() -> None:
    assert cost(get_introspection_query()) == 0
