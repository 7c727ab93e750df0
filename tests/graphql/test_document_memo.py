"""Cost estimates and actual-cost plans are computed once per parsed document."""

from __future__ import annotations

import strawberry
from graphql import parse

from app.settings import Settings
from graphql_schema.security import CostRules, operation_cost
from graphql_schema.security.actual_cost import actual_cost
from graphql_schema.security.memo import DocumentMemo

RULES = CostRules(default_page_size=50, mutation_cost=10)
PAGE = "query($n: Int) { stocks(first: $n) { nodes { id location { id } } } }"


def test_a_value_is_computed_once_per_schema_document_and_key() -> None:
    memo: DocumentMemo[str] = DocumentMemo()
    schema_a, schema_b = object(), object()
    document = parse("{ a }")
    computed: list[str] = []

    def compute(value: str) -> str:
        computed.append(value)
        return value

    answers = [
        memo.get(schema_a, document, "k", lambda: compute("1")),  # type: ignore[arg-type]
        memo.get(schema_a, document, "k", lambda: compute("2")),  # type: ignore[arg-type]
        memo.get(schema_b, document, "k", lambda: compute("3")),  # type: ignore[arg-type]
        memo.get(schema_a, parse("{ a }"), "k", lambda: compute("4")),  # type: ignore[arg-type]
        memo.get(schema_a, document, "other", lambda: compute("5")),  # type: ignore[arg-type]
    ]

    assert answers == ["1", "1", "3", "4", "5"]
    assert computed == ["1", "3", "4", "5"]


def test_the_oldest_document_leaves_first() -> None:
    memo: DocumentMemo[int] = DocumentMemo(size=2)
    schema = object()
    one, two, three = parse("{ a }"), parse("{ b }"), parse("{ c }")
    for n, document in enumerate((one, two, one, three)):
        memo.get(schema, document, None, lambda n=n: n)  # type: ignore[arg-type, misc]

    assert memo.get(schema, one, None, lambda: -1) == 0  # type: ignore[arg-type]
    assert memo.get(schema, two, None, lambda: -1) == -1  # type: ignore[arg-type]


def test_estimates_follow_the_variables_and_repeat_without_them(
    schema: strawberry.Schema, settings: Settings
) -> None:
    core = schema._schema
    document = parse(PAGE)

    by_size = [operation_cost(core, document, RULES, None, {"n": n}) for n in (1, 10, 1)]
    defaulted = [operation_cost(core, document, RULES, None, None) for _ in range(2)]

    assert by_size == [1 * 2 + 2, 10 * 2 + 2, 1 * 2 + 2]
    assert defaulted == [50 * 2 + 2] * 2


def test_actual_cost_counts_the_data_each_time(schema: strawberry.Schema) -> None:
    core = schema._schema
    document = parse(PAGE)
    node = {"id": "s", "location": {"id": "l"}}

    costs = [
        actual_cost(core, document, RULES, {"stocks": {"nodes": [node] * n}}) for n in (3, 0, 5)
    ]

    assert costs == [3 * 2 + 2, 2, 5 * 2 + 2]
