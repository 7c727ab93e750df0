"""The security extensions on the served schema (graphql_schema.schema.build_schema).

Only refusals and estimates: nothing here reaches a resolver, so no database is needed.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import get_introspection_query, parse, specified_rules, validate
from strawberry.types import ExecutionResult

from app.settings import Environment, Settings
from graphql_schema.schema import build_schema
from graphql_schema.security import (
    CostRules,
    SecurityLimits,
    operation_cost,
    security_extensions,
    security_validation_rules,
)
from tests.fakes.clock import FakeClock
from tests.graphql_security.shapes import codes

# Production here is the security extensions' flag alone, so their own work is what is tested.
DEVELOPMENT = Settings(environment=Environment.DEVELOPMENT)
LIMITS = SecurityLimits()
RULES = CostRules(LIMITS.default_page_size, LIMITS.mutation_cost)
SERVED = build_schema(DEVELOPMENT)._schema


def served(production: bool) -> strawberry.Schema:
    extensions = security_extensions(
        LIMITS, production=production, caller_key=lambda _: "merchant:subject", clock=FakeClock(0)
    )
    return build_schema(DEVELOPMENT, extensions=extensions)


async def run(
    production: bool, query: str, variables: dict[str, Any] | None = None
) -> ExecutionResult:
    return await served(production).execute(query, variable_values=variables)


def cost(query: str) -> int:
    return operation_cost(SERVED, parse(query), RULES)


def depth_errors(query: str) -> list[Any]:
    rules = [*specified_rules, *security_validation_rules(LIMITS, production=False)]
    return [e.extensions for e in validate(SERVED, parse(query), rules)]


def test_the_stocks_page_of_the_benchmark_costs_302() -> None:
    query = """{ stocks(first: 100) { nodes {
        id onHand available
        item { ... on InventoryItem { name sku } ... on Material { name unit } }
        location { name }
    } } }"""

    assert cost(query) == 100 * (1 + 1 + 1) + 2


def test_locations_stocks_and_movements_multiply() -> None:
    query = """{ locations(first: 10) { nodes { stocks(first: 20) { edges { node {
        movements(first: 5) { nodes { type deltaOnHand } }
    } } } } } }"""

    assert cost(query) == 10 * (1 + (20 * (1 + (5 * 1 + 2)) + 2)) + 2


def test_a_stock_adjustment_costs_10_plus_its_payload() -> None:
    query = """mutation { stockAdjust(input: {stock: {stockId: "x"}, delta: "1", reason: "r"}) {
        stock { onHand location { name } } movement { id } userErrors { field code }
    } }"""

    assert cost(query) == 10 + (1 + 1) + 1 + 1


def test_a_12_deep_contract_query_is_valid_and_13_is_not() -> None:
    twelve = """{ purchaseOrders(first: 1) { nodes { lines { item { ... on Material {
        stocks { location { stocks(first: 1) { edges { node { movements(first: 1) {
        nodes { id } } } } } } } } } } } } }"""
    thirteen = twelve.replace("nodes { id }", "nodes { stock { id } }")

    assert depth_errors(twelve) == []
    assert depth_errors(thirteen) == [{"code": "MAX_DEPTH_EXCEEDED"}]


async def test_the_introspection_query_runs_in_development_only() -> None:
    development = await run(False, get_introspection_query(descriptions=True))
    production = await run(True, get_introspection_query())

    assert development.errors is None
    assert development.data is not None
    assert development.data["__schema"]["mutationType"]["name"] == "Mutation"
    assert production.data is None
    assert production.errors


async def test_page_sizes_over_250_are_refused_literal_or_variable() -> None:
    literal = await run(False, "{ stocks(first: 251) { totalCount } }")
    variable = await run(
        False, "query($n: Int) { materials(first: $n) { totalCount } }", {"n": 1000}
    )

    assert codes(literal) == ["PAGE_SIZE_EXCEEDED"]
    assert codes(variable) == ["PAGE_SIZE_EXCEEDED"]


async def test_too_many_tokens_are_refused_through_the_schemas_parser_cache() -> None:
    query = "{" + " __typename" * 10_001 + " }"

    result = await run(True, query)

    assert result.data is None
    assert codes(result) == ["MAX_TOKENS_EXCEEDED"]


async def test_a_query_over_the_whole_budget_is_refused_before_any_resolver() -> None:
    query = "{ stocks(first: 250) { nodes { movements(first: 250) { nodes { id } } } } }"

    result = await run(True, query)

    assert result.data is None
    assert codes(result) == ["QUERY_TOO_COMPLEX"]


async def test_no_suggestions_in_production() -> None:
    result = await run(True, "{ stok { id } }")

    assert [e.message for e in result.errors or ()] == [
        "Cannot query field 'stok' on type 'Query'."
    ]
