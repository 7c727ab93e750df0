"""Reads draw on a budget of connections that leaves writes theirs.

With every read slot taken, a query is refused after the short wait with HTTP 503,
THROTTLED and Retry-After (not queued, not a 200 with an error), while a mutation,
which does not draw on the budget, is answered. A slot given back serves the next read.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.domain.enums import ItemType
from app.settings import Settings
from graphql_schema.app import READ_BUDGET
from graphql_schema.ids import global_id
from graphql_schema.read_budget import ReadBudget
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Http, graphql_test_app

STOCKS = "{ stocks(first: 5) { nodes { id onHand } } }"
ADJUST = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) {
  stock { onHand } userErrors { code } } }"""


@pytest.fixture
async def budget_of_one(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> tuple[Http, ReadBudget]:
    app = graphql_test_app(settings, engine, sessions, identity)
    budget = ReadBudget(1, wait_seconds=0.05)
    app.state.runtime.extras[READ_BUDGET] = budget
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return Http(client, signing_key, settings), budget


async def test_a_read_without_a_slot_is_refused_with_503_while_writes_go_on(
    sessions: async_sessionmaker[AsyncSession], budget_of_one: tuple[Http, ReadBudget]
) -> None:
    http, budget = budget_of_one
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    ref = {"stockId": global_id("Stock", stock_id)}

    await budget.take()  # another request holds the only read slot
    refused = await http.post(STOCKS)
    written = await http.post(ADJUST, {"i": {"stock": ref, "delta": "1", "reason": "x"}})
    budget.give_back()
    served = await http.post(STOCKS)
    await http.client.aclose()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["THROTTLED"]
    assert written.status_code == 200
    assert written.json()["data"]["stockAdjust"] == {"stock": {"onHand": "3"}, "userErrors": []}
    assert served.status_code == 200
    assert served.json()["data"]["stocks"]["nodes"] == [
        {"id": global_id("Stock", stock_id), "onHand": "3"}
    ]
