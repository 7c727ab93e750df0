"""Introspection and "Did you mean …?" suggestions: available in development only."""

from __future__ import annotations

from typing import Any

from graphql import get_introspection_query
from strawberry.types import ExecutionResult

from tests.graphql_security.shapes import Caller, build


async def run(
    production: bool, query: str, variables: dict[str, Any] | None = None
) -> ExecutionResult:
    schema = build(production=production)
    return await schema.execute(query, variable_values=variables, context_value=Caller("c"))


def messages(result: ExecutionResult) -> list[str]:
    return [error.message for error in result.errors or ()]


async def test_the_standard_introspection_query_15_deep_runs_in_development() -> None:
    result = await run(False, get_introspection_query(descriptions=True))

    assert result.errors is None
    assert result.data is not None
    assert result.data["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_is_refused_in_production() -> None:
    schema_query = await run(True, get_introspection_query())
    type_query = await run(True, '{ __type(name: "Stock") { fields { name } } }')

    assert schema_query.data is None
    assert type_query.data is None
    assert messages(type_query)[0] == (
        "GraphQL introspection has been disabled,"
        " but the requested query contained the field '__type'."
    )


async def test_typename_still_works_in_production() -> None:
    result = await run(True, '{ stock(id: "s1") { __typename item { __typename } } }')

    assert result.data == {"stock": {"__typename": "Stock", "item": {"__typename": "Material"}}}


async def test_unknown_fields_arguments_and_enum_values_suggest_names_in_development() -> None:
    field = await run(False, '{ stok(id: "s1") { id } }')
    argument = await run(False, "{ stocks(frist: 1) { totalCount } }")
    enum_value = await run(
        False,
        'query($t: MovementType) { stock(id: "s1") { movements(type: $t) { totalCount } } }',
        {"t": "SAEL"},
    )

    assert messages(field) == [
        "Cannot query field 'stok' on type 'Query'. Did you mean 'stock' or 'stocks'?"
    ]
    assert "Did you mean 'first' or 'last'?" in messages(argument)[0]
    assert "Did you mean the enum value 'SALE'?" in messages(enum_value)[0]


async def test_no_suggestions_in_production() -> None:
    field = await run(True, '{ stok(id: "s1") { id } }')
    argument = await run(True, "{ stocks(frist: 1) { totalCount } }")
    enum_value = await run(
        True,
        'query($t: MovementType) { stock(id: "s1") { movements(type: $t) { totalCount } } }',
        {"t": "SAEL"},
    )

    assert messages(field) == ["Cannot query field 'stok' on type 'Query'."]
    assert messages(argument) == ["Unknown argument 'frist' on field 'Query.stocks'."]
    assert enum_value.data is None
    assert len(messages(enum_value)) == 1
    assert "SAEL" in messages(enum_value)[0]
    assert "SALE" not in messages(enum_value)[0]
    assert "Did you mean" not in messages(enum_value)[0]
