"""Calling a served process the way a dashboard does: GraphQL over HTTP with a bearer token."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

STOCK_ADJUST = """
mutation Adjust($input: StockAdjustInput!, $key: String) {
  stockAdjust(input: $input, idempotencyKey: $key) {
    stock { id onHand version }
    movement { id onHandAfter }
    userErrors { field code message }
  }
}
"""

STOCKS_PAGE = """
query Dashboard($after: String) {
  stocks(first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id onHand reserved available version lowStock location { id name } }
  }
}
"""

MOVEMENTS_PAGE = """
query Ledger {
  stockMovements(first: 50) {
    totalCount
    nodes { id type deltaOnHand deltaReserved onHandAfter referenceType }
  }
}
"""


@contextlib.asynccontextmanager
async def client(base_url: str, connections: int = 100) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        yield http


async def graphql(
    http: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def data_of(response: httpx.Response) -> dict[str, Any]:
    """The `data` of a 200 answer without top-level errors (fails otherwise)."""
    assert response.status_code == 200, (response.status_code, response.text[:2000])
    body: dict[str, Any] = response.json()
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def adjust_input(
    stock_id: str, delta: str, *, reason: str = "reliability", change_from: str | None = None
) -> dict[str, Any]:
    value: dict[str, Any] = {"stock": {"stockId": stock_id}, "delta": delta, "reason": reason}
    if change_from is not None:
        value["changeFromQuantity"] = change_from
    return value
