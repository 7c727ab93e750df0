"""Depth, aliases, tokens and page size: each allows its boundary and refuses one past it."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionResult

from graphql_schema.security import SecurityLimits, security_validation_rules
from tests.graphql_security.shapes import Caller, build, codes, nested


async def run(query: str, variables: dict[str, Any] | None = None) -> ExecutionResult:
    return await build().execute(query, variable_values=variables, context_value=Caller("c"))


async def test_depth_12_runs_and_13_is_refused() -> None:
    allowed = await run(nested(12))
    refused = await run(nested(13))

    assert allowed.errors is None
    assert refused.data is None
    assert codes(refused) == ["MAX_DEPTH_EXCEEDED"]
    assert "13 fields deep; at most 12" in refused.errors[0].message  # type: ignore[index]


async def test_depth_counts_through_fragments() -> None:
    # 10 fields in the operation (the last a Location), the rest in the fragment.
    operation = nested(11).replace("id }", "...Deeper }", 1)

    allowed = await run(operation + " fragment Deeper on Location { mainStock { id } }")
    refused = await run(
        operation + " fragment Deeper on Location { mainStock { location { id } } }"
    )

    assert allowed.errors is None
    assert codes(refused) == ["MAX_DEPTH_EXCEEDED"]


async def test_30_aliases_run_and_31_are_refused() -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"a{i}: hello" for i in range(n)) + " }"

    allowed = await run(aliased(30))
    refused = await run(aliased(31))

    assert allowed.errors is None
    assert allowed.data is not None
    assert len(allowed.data) == 30
    assert refused.data is None
    assert codes(refused) == ["MAX_ALIASES_EXCEEDED"]


async def test_aliases_in_a_fragment_count_at_every_spread() -> None:
    fragment = "fragment Names on Location { " + " ".join(f"n{i}: name" for i in range(10)) + " }"
    spreads = " ".join(f'l{i}: location(id: "{i}") {{ ...Names }}' for i in range(3))

    result = await run("{ " + spreads + " } " + fragment)

    # 3 location aliases + 3 spreads of 10 = 33.
    assert codes(result) == ["MAX_ALIASES_EXCEEDED"]


async def test_10000_tokens_run_and_10001_are_refused() -> None:
    def tokens(n: int) -> str:
        # '{', 'count', '(', 'words', ':', '[', the words, ']', ')', '}'
        return "{ count(words: [" + ' "w"' * (n - 9) + " ]) }"

    allowed = await run(tokens(10_000))
    refused = await run(tokens(10_001))

    assert allowed.data == {"count": 10_000 - 9}
    assert refused.data is None
    assert codes(refused) == ["MAX_TOKENS_EXCEEDED"]
    assert "more than 10000 tokens" in refused.errors[0].message  # type: ignore[index]


async def test_a_document_padded_with_comments_is_refused_as_too_many_tokens() -> None:
    result = await run("# padding\n" * 10_001 + "{ hello }")

    assert codes(result) == ["MAX_TOKENS_EXCEEDED"]


async def test_a_document_longer_than_the_query_length_limit_is_refused() -> None:
    limits = SecurityLimits(max_query_length=1_000)
    query = '{ stock(id: "' + "x" * 1_000 + '") { id } }'

    result = await build(limits=limits).execute(query, context_value=Caller("c"))

    assert codes(result) == ["MAX_TOKENS_EXCEEDED"]


async def test_first_250_runs_and_251_is_refused() -> None:
    allowed = await run("{ stocks(first: 250) { totalCount } }")
    refused = await run("{ stocks(first: 251) { totalCount } }")

    assert allowed.data == {"stocks": {"totalCount": 250}}
    assert refused.data is None
    assert codes(refused) == ["PAGE_SIZE_EXCEEDED"]
    assert refused.errors[0].message == (  # type: ignore[index]
        "first on field 'stocks' is 251; at most 250 are allowed."
    )


async def test_last_and_nested_connections_are_checked_too() -> None:
    last = await run("{ stocks(last: 251) { totalCount } }")
    nested_connection = await run(
        "{ stocks(first: 1) { nodes { movements(first: 251) { totalCount } } } }"
    )

    assert codes(last) == ["PAGE_SIZE_EXCEEDED"]
    assert codes(nested_connection) == ["PAGE_SIZE_EXCEEDED"]


async def test_page_sizes_in_variables_are_checked() -> None:
    query = "query Page($n: Int) { stocks(first: $n) { totalCount } }"

    allowed = await run(query, {"n": 250})
    refused = await run(query, {"n": 251})

    assert allowed.data == {"stocks": {"totalCount": 250}}
    assert refused.data is None
    assert codes(refused) == ["PAGE_SIZE_EXCEEDED"]
    assert "(variable $n)" in refused.errors[0].message  # type: ignore[index]


async def test_a_variables_default_page_size_is_checked_when_it_is_not_given() -> None:
    query = "query Page($n: Int = 251) { stocks(first: $n) { totalCount } }"

    defaulted = await run(query)
    given = await run(query, {"n": 10})

    assert codes(defaulted) == ["PAGE_SIZE_EXCEEDED"]
    assert given.data == {"stocks": {"totalCount": 10}}


async def test_a_validation_cache_cannot_let_a_large_page_size_variable_through() -> None:
    schema = build(extra=[ValidationCache, ParserCache])
    query = "query Page($n: Int) { stocks(first: $n) { totalCount } }"

    small = await schema.execute(query, {"n": 10}, Caller("c"))
    large = await schema.execute(query, {"n": 251}, Caller("c"))
    small_again = await schema.execute(query, {"n": 20}, Caller("c"))

    assert small.errors is None
    assert codes(large) == ["PAGE_SIZE_EXCEEDED"]
    assert small_again.data == {"stocks": {"totalCount": 20}}


def test_requests_with_the_same_variables_get_the_same_rules_so_caches_hit() -> None:
    limits = SecurityLimits()

    one = security_validation_rules(limits, production=True, variables={"n": 10, "q": "a"})
    two = security_validation_rules(limits, production=True, variables={"n": 99, "q": "b"})
    large = security_validation_rules(limits, production=True, variables={"n": 251, "q": "b"})

    assert one == two
    assert one != large


async def test_limits_are_configurable() -> None:
    limits = SecurityLimits(max_depth=3, max_aliases=1, max_page_size=10, default_page_size=5)
    schema = build(limits=limits)

    depth = await schema.execute(nested(4), context_value=Caller("c"))
    aliases = await schema.execute("{ a: hello b: hello }", context_value=Caller("c"))
    page = await schema.execute("{ stocks(first: 11) { totalCount } }", context_value=Caller("c"))

    assert codes(depth) == ["MAX_DEPTH_EXCEEDED"]
    assert codes(aliases) == ["MAX_ALIASES_EXCEEDED"]
    assert codes(page) == ["PAGE_SIZE_EXCEEDED"]
