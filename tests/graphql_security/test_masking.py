"""Unexpected errors reach clients as "Unexpected error."; deliberate GraphQL errors as they are."""

from __future__ import annotations

import json
from typing import Any

import pytest

from graphql_schema.security import should_mask_error
from tests.graphql_security.shapes import LEAKY_MESSAGE, Caller, build


def wire(result: Any) -> str:
    """The response body as the HTTP view would send it."""
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return json.dumps(body)


@pytest.mark.parametrize("production", [False, True])
async def test_an_exception_in_a_resolver_leaks_neither_sql_nor_paths(production: bool) -> None:
    schema = build(production=production)

    result = await schema.execute("{ hello boom }", context_value=Caller("c"))

    body = wire(result)
    assert result.data is None or result.data.get("hello") == "hello"
    assert [error.formatted for error in result.errors or ()] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 9}],
            "path": ["boom"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert "SELECT" not in body
    assert "/srv/inventory" not in body
    assert "queries.py" not in body


async def test_the_other_fields_of_the_query_keep_their_data() -> None:
    result = await build().execute(
        '{ boom: hello stock(id: "s1") { id } }', context_value=Caller("c")
    )

    assert result.errors is None
    assert result.data == {"boom": "hello", "stock": {"id": "s1"}}


async def test_a_deliberate_coded_error_passes_through() -> None:
    result = await build(production=True).execute("{ denied }", context_value=Caller("c"))

    assert [error.formatted for error in result.errors or ()] == [
        {
            "message": "not allowed to read stock",
            "locations": [{"line": 1, "column": 3}],
            "path": ["denied"],
            "extensions": {"code": "FORBIDDEN"},
        }
    ]


async def test_an_exception_before_execution_is_masked_too() -> None:
    def failing_key(_: Any) -> str:
        raise KeyError(LEAKY_MESSAGE)

    schema = build(caller_key=failing_key)

    result = await schema.execute("{ hello }", context_value=Caller("c"))

    assert result.data is None
    assert [error.formatted for error in result.errors or ()] == [
        {"message": "Unexpected error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    ]
    assert "SELECT" not in wire(result)


def test_the_mask_predicate_exposes_graphql_errors_and_hides_other_exceptions() -> None:
    from graphql import GraphQLError

    validation = GraphQLError("Cannot query field 'x' on type 'Query'.")
    deliberate = GraphQLError("no", original_error=GraphQLError("no", extensions={"code": "X"}))
    database = GraphQLError(LEAKY_MESSAGE, original_error=RuntimeError(LEAKY_MESSAGE))

    assert not should_mask_error(validation)
    assert not should_mask_error(deliberate)
    assert should_mask_error(database)
