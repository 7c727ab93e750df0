"""The GraphQL response cache: hits are byte-identical to the uncached path and skip
execution; every kind of write is visible on the next request; hits are authorized and
charged; nothing stale outlives a write or a lost listener."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.db.data_versions import EXTRAS_KEY
from app.db.listen_connections import listen_dsn
from app.domain.enums import ItemType
from app.settings import Settings
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.cache_fixtures import Cached, cached, cached_reads_of, open_cached
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Http


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    # This module tests the response cache itself: on, whatever the environment switches off.
    return settings.model_copy(update={"graphql_response_cache_entries": 1000})


__all__ = ["cached"]

OPERATIONS = "inventory_graphql_operations_total"
PAGE = """query Page { stocks(first: 100) { nodes {
  id onHand available
  location { name }
  item { __typename ... on InventoryItem { name sku } ... on Material { name unit } }
} } }"""


async def _seed(sessions: async_sessionmaker[AsyncSession], merchant: Any = MERCHANT_A) -> Any:
    loc = await seed.location(sessions, merchant, "Main")
    flour = await seed.material(sessions, merchant, "Flour")
    soup, _ = await seed.item(sessions, merchant, "Soup")
    await seed.stock(sessions, merchant, loc, ItemType.MATERIAL, flour, "5")
    await seed.stock(sessions, merchant, loc, ItemType.PRODUCT, soup, "2")
    return loc, flour, soup


def _names(body: dict[str, Any]) -> list[str]:
    return sorted(node["location"]["name"] for node in body["data"]["stocks"]["nodes"])


async def test_a_repeated_query_is_served_from_the_cache_byte_identical(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    for http in (cached.on, cached.off):
        first = await http.post(PAGE)
        assert first.status_code == 200
        assert "errors" not in first.json(), first.text
    assert cached.reads.cache.stores == 1
    with cached.statements() as statements:
        hit = await cached.on.post(PAGE)
    assert statements == []  # nothing executed
    assert cached.reads.served == 1
    uncached = await cached.off.post(PAGE)
    # Same budgets on a frozen clock: even the cost figures agree.
    assert hit.content == uncached.content
    assert hit.headers["content-type"] == uncached.headers["content-type"]
    assert hit.json()["extensions"]["cost"]["actualQueryCost"] < 100


async def test_variables_and_operation_name_are_part_of_the_key(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    query = "query($n: Int) { stocks(first: $n) { nodes { onHand } } }"
    one = await cached.on.post(query, {"n": 1})
    two = await cached.on.post(query, {"n": 2})
    assert len(one.json()["data"]["stocks"]["nodes"]) == 1
    assert len(two.json()["data"]["stocks"]["nodes"]) == 2
    again = await cached.on.post(query, {"n": 1})
    assert again.json()["data"] == one.json()["data"]
    assert cached.reads.served == 1


async def test_a_graphql_mutation_is_visible_on_the_next_request_and_never_cached(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    loc, flour, _ = await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    assert await cached.on.post(PAGE)
    assert (await cached.on.post(PAGE)).status_code == 200
    assert cached.reads.served == 1
    ref = {
        "locationId": global_id("Location", loc),
        "itemType": "MATERIAL",
        "itemId": global_id("Material", flour),
    }
    adjust = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) {
        stock { onHand } userErrors { code } } }"""
    variables = {"i": {"stock": ref, "delta": "1", "reason": "restock"}}
    first = await cached.on.post(adjust, variables)
    second = await cached.on.post(adjust, variables)
    assert first.json()["data"]["stockAdjust"]["stock"]["onHand"] == "6"
    assert second.json()["data"]["stockAdjust"]["stock"]["onHand"] == "7"
    # The mutation bumped the merchant here: no waiting for the notification.
    page = (await cached.on.post(PAGE)).json()
    on_hand = {n["item"]["name"]: n["onHand"] for n in page["data"]["stocks"]["nodes"]}
    assert on_hand["Flour"] == "7"


async def test_a_v1_write_is_visible_on_the_next_request(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    query = "{ inventoryItems(first: 10) { nodes { name productVariantId } } }"
    before = (await cached.on.post(query)).json()["data"]["inventoryItems"]["nodes"]
    await cached.on.post(query)
    assert cached.reads.served == 1
    variant = before[0]["productVariantId"]
    token = cached.on.token(MERCHANT_A, "owner")
    put = await cached.on.client.put(
        f"/v1/api/inventory/product-variants/{variant}",
        json={"name": "Tomato soup"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert put.status_code == 200, put.text
    after = (await cached.on.post(query)).json()["data"]["inventoryItems"]["nodes"]
    assert after[0]["name"] == "Tomato soup"


async def test_a_direct_sql_write_elsewhere_is_visible_within_the_notification_bound(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    await cached.on.post(PAGE)
    other = await asyncpg.connect(listen_dsn(cached.on.settings.database_url or ""))
    try:
        await other.execute(
            "UPDATE location SET name = 'Renamed' WHERE merchant_id = $1", MERCHANT_A
        )
    finally:
        await other.close()
    deadline = asyncio.get_running_loop().time() + 2.0
    while _names((await cached.on.post(PAGE)).json()) != ["Renamed", "Renamed"]:
        assert asyncio.get_running_loop().time() < deadline, "still stale after 2 s"
        await asyncio.sleep(0.01)


async def test_merchants_never_share_entries(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions, MERCHANT_A)
    loc_b = await seed.location(sessions, MERCHANT_B, "B-only")
    salt = await seed.material(sessions, MERCHANT_B, "Salt")
    await seed.stock(sessions, MERCHANT_B, loc_b, ItemType.MATERIAL, salt, "1")
    await cached.versions.sync()
    for _ in range(2):
        a = (await cached.on.post(PAGE, merchant_id=MERCHANT_A)).json()
        b = (await cached.on.post(PAGE, merchant_id=MERCHANT_B)).json()
        assert _names(a) == ["Main", "Main"]
        assert _names(b) == ["B-only"]
    assert cached.reads.served == 2


async def test_a_role_without_the_action_is_forbidden_on_a_cached_query(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    await cached.on.post(PAGE)
    await cached.off.post(PAGE)
    assert len(cached.reads.cache) == 1
    refused = await cached.on.post(PAGE, role="nobody")
    uncached = await cached.off.post(PAGE, role="nobody")
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused.content == uncached.content
    assert cached.reads.served == 0


async def test_hits_are_charged_and_throttled_like_the_uncached_path(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    engine: AsyncEngine,
    identity: Identity,
    signing_key: DevSigningKey,
) -> None:
    """A 330-point budget on a frozen clock: the estimate (302) must be available and
    each page keeps its actual cost charged, so a few requests in it is throttled."""
    await _seed(sessions)  # before the listener starts: no notification to wait for
    async for fresh in open_cached(settings, engine, sessions, identity, signing_key, budget=330):
        on_bodies, off_bodies = [], []
        for _ in range(8):
            on_bodies.append((await fresh.on.post(PAGE)).content)
            off_bodies.append((await fresh.off.post(PAGE)).content)
        assert on_bodies == off_bodies
        assert fresh.reads.cache.stores == 1  # the rest were hits (or refused before one)
        throttled = [b'"code":"THROTTLED"' in body for body in on_bodies]
        assert throttled[0] is False
        assert throttled[-1] is True
        assert throttled == sorted(throttled)  # once empty, it stays empty (frozen clock)
        assert fresh.reads.served >= 1


async def test_a_write_committed_during_a_slow_query_leaves_no_stale_entry(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    dsn = listen_dsn(cached.on.settings.database_url or "")
    blocker, writer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        # The page joins location: it waits behind this lock (LOCK writes no row).
        locking = blocker.transaction()
        await locking.start()
        await blocker.execute("LOCK TABLE location IN ACCESS EXCLUSIVE MODE")
        slow = asyncio.create_task(cached.on.post(PAGE))
        await asyncio.sleep(0.3)
        assert not slow.done()
        await writer.execute(
            "UPDATE stock SET on_hand = on_hand + 100 WHERE merchant_id = $1", MERCHANT_A
        )
        await cached.versions.sync()  # its notification has arrived
        await locking.rollback()
        assert (await slow).status_code == 200
    finally:
        await blocker.close()
        await writer.close()
    assert cached.reads.cache.stores == 0
    page = (await cached.on.post(PAGE)).json()
    assert sorted(n["onHand"] for n in page["data"]["stocks"]["nodes"]) == ["102", "105"]


async def test_a_lost_listener_bypasses_and_clears_the_cache_until_it_is_back(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    await cached.on.post(PAGE)
    assert len(cached.reads.cache) == 1
    pid = cached.listener.connection_pid
    killer = await asyncpg.connect(listen_dsn(cached.on.settings.database_url or ""))
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()
    deadline = asyncio.get_running_loop().time() + 2.0
    while cached.versions.listening and cached.listener.connection_pid == pid:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.005)
    if not cached.versions.listening:
        assert len(cached.reads.cache) == 0
        with cached.statements() as statements:
            await cached.on.post(PAGE)
        assert statements, "served from the cache while not listening"
    await cached.until_listening()
    assert cached.listener.connection_pid != pid
    assert len(cached.reads.cache) == 0
    await cached.on.post(PAGE)
    with cached.statements() as statements:
        await cached.on.post(PAGE)
    assert statements == []


async def test_a_query_with_errors_is_not_cached(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    query = "{ stocks(first: 1) { nodes { id } } both: stocks(first: 1, last: 1) { nodes { id } } }"
    for _ in range(2):
        body = (await cached.on.post(query)).json()
        assert body.get("errors"), body
    assert cached.reads.cache.stores == 0


async def test_uncacheable_root_fields_and_mutations_are_not_stored(
    sessions: async_sessionmaker[AsyncSession], cached: Cached
) -> None:
    await _seed(sessions)
    await cached.versions.sync()  # the seed's notifications are in
    for _ in range(2):
        checked = (await cached.on.post("{ ledgerCheck { stocksChecked } }")).json()
        assert "errors" not in checked, checked
    created = """mutation { locationCreate(input: {name: "Back"}) { location { name } } }"""
    for _ in range(2):
        assert "errors" not in (await cached.on.post(created)).json()
    assert cached.reads.cache.stores == 0


async def test_the_app_serves_with_the_cache_wired(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    signing_key: DevSigningKey,
) -> None:
    """create_app: the lifespan starts the listener and the route answers from the cache."""
    await _seed(sessions)
    app = create_app(settings.model_copy(update={"run_relay_in_serve": False}))
    async with app.router.lifespan_context(app):
        versions = app.state.runtime.extras[EXTRAS_KEY]
        for _ in range(500):
            if versions.listening:
                break
            await asyncio.sleep(0.02)
        transport = httpx.ASGITransport(app=app)
        labels = {"operation": "Page", "type": "query", "outcome": "ok"}
        counted_before = REGISTRY.get_sample_value(OPERATIONS, labels) or 0
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            http = Http(client, signing_key, settings)
            first = await http.post(PAGE)
            second = await http.post(PAGE)
        assert first.json()["data"] == second.json()["data"]
        assert cached_reads_of(app).served == 1
        # The hit is counted in the operation metrics like an executed query.
        assert REGISTRY.get_sample_value(OPERATIONS, labels) == counted_before + 2


async def test_hits_are_charged_to_budgets_shared_in_redis(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    engine: AsyncEngine,
    identity: Identity,
    signing_key: DevSigningKey,
    redis_url: str,
) -> None:
    await _seed(sessions)
    redis = Redis.from_url(redis_url)
    try:
        # This caller's bucket only: the Redis may be shared by other tests.
        await redis.delete(f"inventory:graphql-cost:{MERCHANT_A}:http-tester")
        async for fresh in open_cached(
            settings, engine, sessions, identity, signing_key, budget=330, redis=redis
        ):
            costs = [(await fresh.on.post(PAGE)).json()["extensions"]["cost"] for _ in range(3)]
            assert fresh.reads.served == 2
            actual = costs[0]["actualQueryCost"]
            assert [c["actualQueryCost"] for c in costs] == [actual] * 3
            levels = [c["throttleStatus"]["currentlyAvailable"] for c in costs]
            assert levels == [330 - actual, 330 - 2 * actual, 330 - 3 * actual]
    finally:
        await redis.aclose()
