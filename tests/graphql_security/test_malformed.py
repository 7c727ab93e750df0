"""Malformed documents, unknown fields and bad variables get graphql-core's standard errors."""

from __future__ import annotations

from typing import Any

from strawberry.types import ExecutionResult

from tests.graphql_security.shapes import Caller, build


async def run(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    schema = build(production=True)
    return await schema.execute(query, variable_values=variables, context_value=Caller("c"))


async def test_a_syntax_error_is_reported_with_its_location_and_no_code() -> None:
    result = await run('{ stock(id: "s1") { id }')

    assert result.data is None
    assert [error.formatted for error in result.errors or ()] == [
        {
            "message": "Syntax Error: Expected Name, found <EOF>.",
            "locations": [{"line": 1, "column": 25}],
        }
    ]


async def test_an_unknown_field_is_a_validation_error() -> None:
    result = await run('{ stock(id: "s1") { colour } }')

    assert result.data is None
    assert [error.message for error in result.errors or ()] == [
        "Cannot query field 'colour' on type 'Stock'."
    ]


async def test_a_variable_of_the_wrong_type_is_a_coercion_error_not_a_page_size_error() -> None:
    query = "query($n: Int) { stocks(first: $n) { totalCount } }"

    text = await run(query, {"n": "300"})
    fraction = await run(query, {"n": 2.5})

    assert text.data is None
    assert [error.message for error in text.errors or ()] == [
        "Variable '$n' has invalid value: Int cannot represent non-integer value: '300'"
    ]
    assert [error.extensions for error in fraction.errors or ()] == [{}]


async def test_a_missing_required_argument_is_a_validation_error() -> None:
    result = await run("{ stock { id } }")

    assert [error.message for error in result.errors or ()] == [
        "Argument 'Query.stock(id:)' of type 'ID!' is required, but it was not provided."
    ]
