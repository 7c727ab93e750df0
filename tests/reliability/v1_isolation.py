"""/v1 requests naming another merchant's objects, and how each must be answered.

Used by test_cross_merchant.py: merchant A's user token (and A's service token) sends
B's ids, in paths, query strings, bodies and the X-Merchant-ID header.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from graphql_schema.ids import decode_global_id
from tests.graphql.test_isolation import Objects

V1 = "/v1/api/inventory"


def raw_id(global_or_raw: str) -> str:
    decoded = decode_global_id(global_or_raw)
    return str(decoded[1]) if decoded else global_or_raw


# (name, method, path, body, extra headers, token, expected); ids are B's. Expected:
# "404" (like an unknown id), "empty" (a 200 listing nothing, or a 404), "own" (acts on
# A's own namespace: a PUT upserts A's item for that variant id, B's stays untouched).
V1_CASES: list[tuple[str, str, str, Any, dict[str, str], str, str]] = [
    ("GET B's product variant", "GET", "/product-variants/{variant}", None, {}, "user", "404"),
    (
        "PUT B's product variant",
        "PUT",
        "/product-variants/{variant}",
        {"name": "x"},
        {},
        "user",
        "own",
    ),
    (
        "POST naming B in the body",
        "POST",
        "/product-variants",
        {
            "productVariantId": "{variant}",
            "merchantId": "{merchant_b}",
            "name": "x",
            "trackInventory": True,
        },
        {},
        "user",
        "404",
    ),
    (
        "POST naming B in X-Merchant-ID",
        "POST",
        "/product-variants",
        {"productVariantId": "{variant}", "name": "x", "trackInventory": True},
        {"X-Merchant-ID": "{merchant_b}"},
        "user",
        "404",
    ),
    (
        "B's locations by header",
        "GET",
        "/locations",
        None,
        {"X-Merchant-ID": "{merchant_b}"},
        "user",
        "404",
    ),
    ("stocks at B's location", "GET", "/stocks?locationId={location}", None, {}, "user", "empty"),
    ("stocks of B's material", "GET", "/stocks?materialId={material}", None, {}, "user", "empty"),
    (
        "stocks of B's variant",
        "GET",
        "/stocks?productVariantId={variant}",
        None,
        {},
        "user",
        "empty",
    ),
    ("movements of B's stock", "GET", "/movements?stockId={stock}", None, {}, "user", "empty"),
    ("movements of B's order", "GET", "/movements?referenceId={order}", None, {}, "user", "empty"),
    (
        "receive B's purchase order",
        "POST",
        "/purchase-orders/{order}/receive",
        {"lines": [{"lineId": "{order_line}", "quantityReceived": "5"}]},
        {},
        "user",
        "404",
    ),
    (
        "A's service token naming B by header",
        "GET",
        "/locations",
        None,
        {"X-Merchant-ID": "{merchant_b}"},
        "service-a",
        "404",
    ),
    (
        "A's service token naming B in the body",
        "POST",
        "/product-variants",
        {
            "productVariantId": "{variant}",
            "merchantId": "{merchant_b}",
            "name": "x",
            "trackInventory": True,
        },
        {},
        "service-a",
        "404",
    ),
]


async def v1_table(
    http: httpx.AsyncClient,
    make_token: Callable[..., str],
    merchant_a: uuid.UUID,
    merchant_b: uuid.UUID,
    theirs: Objects,
    names: list[str],
) -> dict[str, str]:
    values = {
        "variant": theirs.variant,
        "merchant_b": str(merchant_b),
        "location": raw_id(theirs.location),
        "material": raw_id(theirs.material),
        "stock": raw_id(theirs.stock),
        "order": raw_id(theirs.order),
        "order_line": raw_id(theirs.order_line),
    }
    tokens = {
        "user": make_token(merchant_a, "owner", subject="v1-a"),
        "service-a": make_token(merchant_a, None, subject="v1-service-a", service=True),
    }
    problems: dict[str, str] = {}
    for name, method, path, body, headers, kind, expected in V1_CASES:
        sent = _fill(headers, values)
        content = None if body is None else json.dumps(_fill(body, values))
        url = V1 + path.format(**values)
        response = await http.request(
            method,
            url,
            content=content,
            headers={
                **sent,
                "Authorization": f"Bearer {tokens[kind]}",
                "content-type": "application/json",
            },
        )
        # An error may echo an id the caller sent; it must show nothing else of B's.
        asked = url + str(content) + json.dumps(sent)
        shown = [n for n in names if n in response.text and n not in asked]
        if shown:
            problems[name] = f"shows B's {shown}"
        elif not _as_expected(expected, response):
            problems[name] = f"HTTP {response.status_code}: {response.text[:300]}"
    return problems


def _fill(template: Any, values: dict[str, str]) -> Any:
    """The template with "{name}" placeholders in its strings replaced."""
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


def _as_expected(expected: str, response: httpx.Response) -> bool:
    status = response.status_code
    if expected == "404":
        return status == 404
    if expected == "empty":
        return status == 404 or (status == 200 and response.json().get("items") == [])
    return status in (200, 201)  # "own"
