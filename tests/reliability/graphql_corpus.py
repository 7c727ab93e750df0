"""Malformed, oversized and hostile requests to /graphql, each of which must be refused.

Every entry is one HTTP request. Refused means: a 4xx, or a 200 whose body has
top-level errors and no data (or only nulls), or a mutation payload with userErrors
only — and in every case nothing stored changes. Entries marked `answered` are valid
GraphQL built to be expensive (a fragment bomb): they must be answered, quickly.
The requests that once showed bugs are in test_graphql_hostile_bodies.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

LOCATIONS = "{ locations { totalCount } }"


@dataclass(frozen=True)
class BadRequest:
    name: str
    body: bytes
    content_type: str = "application/json"
    method: str = "POST"
    authorized: bool = True
    extra_headers: dict[str, str] = field(default_factory=dict)
    expect: str = "refused"


def _json(name: str, document: Any, **kw: Any) -> BadRequest:
    return BadRequest(name, json.dumps(document).encode(), **kw)


def _query(name: str, query: str, variables: Any = None, **kw: Any) -> BadRequest:
    document: dict[str, Any] = {"query": query}
    if variables is not None:
        document["variables"] = variables
    return _json(name, document, **kw)


def _nested(depth: int) -> str:
    return "{ locations { " + "nodes { " * depth + "id" + " }" * depth + " } }"


def _fragment_bomb(levels: int) -> str:
    """Fragment i spreads fragment i-1 twice: 2**levels selections once expanded."""
    fragments = ["fragment F0 on LocationConnection { totalCount nodes { id name } }"]
    for i in range(1, levels + 1):
        fragments.append(f"fragment F{i} on LocationConnection {{ ...F{i - 1} ...F{i - 1} }}")
    return "{ locations { ...F" + str(levels) + " } } " + " ".join(fragments)


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def corpus(stock_gid: str) -> list[BadRequest]:
    """The hand-written cases; `stock_gid` is a real stock, so mutations would change it."""
    adjust = "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { code } } }"

    def adjust_with(**overrides: Any) -> dict[str, Any]:
        value: dict[str, Any] = {"stock": {"stockId": stock_gid}, "delta": "1", "reason": "fuzz"}
        value.update(overrides)
        return {"i": value}

    cases: list[BadRequest] = [
        _query("missing closing brace", "{ locations { totalCount }"),
        _query(
            "truncated mutation",
            f'mutation {{ stockAdjust(input: {{stock: {{stockId: "{stock_gid}"}}, delta: "1"',
        ),
        _query("empty document", ""),
        _query("only a comment", "# nothing here"),
        _json("query is null", {"query": None}),
        _json("query is a number", {"query": 42}),
        _json("query is a list", {"query": [LOCATIONS]}),
        _json("no query at all", {"variables": {}}),
        BadRequest("body is not JSON", b"{not json"),
        BadRequest("empty body", b""),
        _json("a batch (JSON array)", [{"query": LOCATIONS}, {"query": LOCATIONS}]),
        BadRequest("text/plain body", LOCATIONS.encode(), content_type="text/plain"),
        BadRequest(
            "form body",
            b"query=%7B+locations+%7D",
            content_type="application/x-www-form-urlencoded",
        ),
        _query("variables are a string", LOCATIONS, "x"),
        _query("variables are a list", LOCATIONS, [1, 2]),
        _json(
            "unknown operationName",
            {"query": "query A { locations { totalCount } }", "operationName": "B"},
        ),
        _query("two anonymous operations", f"{LOCATIONS} {LOCATIONS}"),
        _query("unknown field", "{ locations { colour } }"),
        _query("unknown root field", "{ secrets }"),
        _query("wrong argument type", '{ locations(first: "ten") { totalCount } }'),
        _query("negative page size", "{ locations(first: -1) { totalCount } }"),
        _query("page size over the limit", "{ stocks(first: 100000) { totalCount } }"),
        _query(
            "page size over the limit in a variable",
            "query($n: Int) { stocks(first: $n) { totalCount } }",
            {"n": 251},
        ),
        _query("depth 13", _nested(13)),
        _query("depth 3000", _nested(3000)),
        _query(
            "31 aliases",
            "{ " + " ".join(f"a{i}: locations {{ totalCount }}" for i in range(31)) + " }",
        ),
        _query("5000 aliases", "{ " + " ".join(f"a{i}: __typename" for i in range(5000)) + " }"),
        _query(
            "fragment cycle", "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"
        ),
        _query("fragment bomb", _fragment_bomb(25), expect="answered"),
        _query(
            "self-spreading fragment",
            "fragment A on Query { locations { totalCount } ...A } { ...A }",
        ),
        _query(
            "1000 directives", "{ locations " + "@include(if: true) " * 1000 + "{ totalCount } }"
        ),
        _query("unknown directive", "{ locations @explode { totalCount } }"),
        _query("300k string literal", '{ node(id: "' + "x" * 300_000 + '") { id } }'),
        _query("20k tokens", "{ " + "__typename " * 20_000 + "}"),
        _query(
            "deeply nested input literal",
            "{ node(id: " + "[" * 2000 + '"x"' + "]" * 2000 + ") { id } }",
        ),
        _query("garbage global id", '{ node(id: "%%%not-base64%%%") { id } }'),
        _query("global id of nothing", '{ node(id: "U3RvY2s6bm90LWEtdXVpZA==") { id } }'),
        _query("NUL in an id", '{ node(id: "a\\u0000b") { id } }'),
        _query("delta is not a number", adjust, adjust_with(delta="abc")),
        _query("delta is NaN", adjust, adjust_with(delta="NaN")),
        _query("delta is Infinity", adjust, adjust_with(delta="Infinity")),
        _query("delta is 1e1000000", adjust, adjust_with(delta="1e1000000")),
        _query("delta has 40 decimals", adjust, adjust_with(delta="0." + "1" * 40)),
        _query("delta is zero", adjust, adjust_with(delta="0")),
        _query("delta is a JSON number", adjust, adjust_with(delta=1.5)),
        _query("1 MB reason", adjust, adjust_with(reason="r" * 1_000_000)),
        _query("empty reason", adjust, adjust_with(reason="   ")),
        _query("unknown input field", adjust, adjust_with(colour="red")),
        _query(
            "stock id of the wrong type", adjust, adjust_with(stock={"stockId": "TG9jYXRpb246eA=="})
        ),
        _query(
            "idempotency key of 10k chars",
            adjust.replace("(input: $i)", f'(input: $i, idempotencyKey: "{"k" * 10_000}")'),
            adjust_with(delta="-999999"),
        ),
        _query("take below zero", adjust, adjust_with(delta="-1000000")),
        BadRequest(
            "GET with a query", b"", method="GET", extra_headers={"accept": "application/json"}
        ),
        BadRequest("PUT", json.dumps({"query": LOCATIONS}).encode(), method="PUT"),
        _query("no token", LOCATIONS, authorized=False),
        _query(
            "garbage token",
            LOCATIONS,
            authorized=False,
            extra_headers={"Authorization": "Bearer a.b.c"},
        ),
    ]
    return cases
