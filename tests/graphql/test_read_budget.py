"""Reads draw on a budget of connections that leaves writes theirs.

With every read slot taken, a query is refused after the short wait with HTTP 503,
THROTTLED and Retry-After (not queued, not a 200 with an error), while a mutation,
which does not draw on the budget, is answered. A slot given back serves the next read.
A mutation for which the pool itself has no connection is 503 too, having written
nothing.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.db.engine import create_engine, create_session_factory
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


async def test_a_mutation_the_pool_has_no_connection_for_is_503_and_writes_nothing(
    settings: Settings,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    adjust = {
        "i": {"stock": {"stockId": global_id("Stock", stock_id)}, "delta": "1", "reason": "x"}
    }
    # A pool of two connections (one and its overflow), both taken by someone else.
    small = create_engine(database_url, pool_size=1, pool_timeout=0.2)
    app = graphql_test_app(settings, small, create_session_factory(small), identity)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
            small.connect() as first,
            small.connect() as second,
        ):
            await first.exec_driver_sql("SELECT 1")
            await second.exec_driver_sql("SELECT 1")
            refused = await Http(client, signing_key, settings).post(ADJUST, adjust)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            retried = await Http(client, signing_key, settings).post(ADJUST, adjust)
    finally:
        await small.dispose()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["UNAVAILABLE"]
    # Nothing was written: the retry is the first adjustment (2 + 1, version 1 + 1).
    assert retried.status_code == 200
    assert retried.json()["data"]["stockAdjust"] == {"stock": {"onHand": "3"}, "userErrors": []}
