"""Reads over HTTP execute a few at a time; writes go by them (graphql_schema/read_gate.py).

Against uvicorn on a real socket and PostgreSQL. A read held in the database (its
table locked by another transaction) takes the gate's only place: the reads behind it
are refused after the wait with HTTP 503, THROTTLED and Retry-After (never a 200 with
an error), while a stockAdjust sent meanwhile is answered at once, before the held
read ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.db.data_versions import EXTRAS_KEY, listening_data_versions
from app.domain.enums import ItemType
from app.embedded import free_port
from app.settings import Settings
from graphql_schema.cache_plans import Plans
from graphql_schema.cached_reads import CachedReads
from graphql_schema.ids import global_id
from graphql_schema.read_gate import ReadGate, is_mutation
from tests.graphql import seed
from tests.graphql.cache_fixtures import cached_reads_of
from tests.graphql.conftest import MERCHANT_A, Http, graphql_test_app

VENDORS = "{ vendors(first: 5) { nodes { name } } }"
STOCKS = "{ stocks(first: 5) { nodes { onHand } } }"
ADJUST = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) {
  stock { onHand version } userErrors { code } } }"""
# Long enough that a write's whole round (HTTP, four round trips, commit) ends well within
# it on a loaded machine: the tests compare a write's answer with a read's refusal.
WAIT = 2.0


@contextlib.asynccontextmanager
async def uvicorn_serving(
    app: Starlette, http: Callable[[httpx.AsyncClient], Http]
) -> AsyncIterator[Http]:
    """`app` served by uvicorn on a free port in this loop, and a client of it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:  # noqa: ASYNC110 (waiting for the server to listen)
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield http(client)
    finally:
        server.should_exit = True
        await task


def gated(settings: Settings, **update: Any) -> Settings:
    """One read place and a short wait."""
    return settings.model_copy(
        update={"graphql_reads_at_once": 1, "graphql_read_wait_seconds": WAIT, **update}
    )


@pytest.fixture
async def served(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> AsyncIterator[Http]:
    """The gated route without the response cache: every read executes."""
    uncached = gated(settings, graphql_response_cache_entries=0)
    app = graphql_test_app(uncached, engine, sessions, identity)
    async with uvicorn_serving(app, lambda client: Http(client, signing_key, uncached)) as http:
        yield http


@pytest.fixture
async def served_cached(
    settings: Settings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    identity: Identity,
    signing_key: DevSigningKey,
) -> AsyncIterator[tuple[Http, CachedReads]]:
    """The gated route with the response cache and its data version listener."""
    cached = gated(settings, graphql_response_cache_entries=1000)
    app = graphql_test_app(cached, engine, sessions, identity)
    async with listening_data_versions(settings.database_url or "") as (versions, _):
        app.state.runtime.extras[EXTRAS_KEY] = versions
        async with asyncio.timeout(10):
            while not versions.listening:  # noqa: ASYNC110 (waiting for the listener)
                await asyncio.sleep(0.02)
        async with uvicorn_serving(app, lambda client: Http(client, signing_key, cached)) as http:
            yield http, cached_reads_of(app)


@contextlib.asynccontextmanager
async def vendor_table_locked(database_url: str) -> AsyncIterator[None]:
    """Another transaction holds the vendor table: a read of vendors waits in the
    database until the block ends (stock writes never touch that table)."""
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("LOCK TABLE vendor IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await connection.close()


async def test_with_the_gate_full_reads_are_refused_with_503_and_a_write_is_answered_at_once(
    database_url: str, sessions: async_sessionmaker[AsyncSession], served: Http
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    await seed.vendor(sessions, MERCHANT_A, "Mill")
    adjust = {
        "i": {"stock": {"stockId": global_id("Stock", stock_id)}, "delta": "1", "reason": "x"}
    }

    async with vendor_table_locked(database_url):
        held = asyncio.create_task(served.post(VENDORS))
        await asyncio.sleep(0.2)  # it has the place and waits in the database
        finished: list[str] = []

        async def timed(
            name: str, query: str, variables: dict[str, Any] | None = None
        ) -> httpx.Response:
            response = await served.post(query, variables)
            finished.append(name)
            return response

        refused, written = await asyncio.gather(
            timed("read", STOCKS), timed("write", ADJUST, adjust)
        )
        assert not held.done()  # the place was taken all along
    answered = await held

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["THROTTLED"]
    assert written.status_code == 200
    assert written.json()["data"] == {
        "stockAdjust": {"stock": {"onHand": "3", "version": 2}, "userErrors": []}
    }
    # Not behind the held read, nor the refused one: answered within the reads' wait.
    assert finished == ["write", "read"]
    assert answered.status_code == 200
    assert answered.json()["data"] == {"vendors": {"nodes": [{"name": "Mill"}]}}


async def test_a_place_given_back_serves_the_read_waiting_for_it(
    database_url: str, sessions: async_sessionmaker[AsyncSession], served: Http
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    await seed.vendor(sessions, MERCHANT_A, "Mill")

    async with vendor_table_locked(database_url):
        held = asyncio.create_task(served.post(VENDORS))
        await asyncio.sleep(0.2)
        waiting = asyncio.create_task(served.post(STOCKS))
        await asyncio.sleep(0.05)
    # The lock is gone well within the wait: the held read ends and the next one runs.
    answered, served_next = await asyncio.gather(held, waiting)

    assert answered.status_code == 200
    assert served_next.status_code == 200
    assert served_next.json()["data"] == {"stocks": {"nodes": [{"onHand": "2"}]}}


async def test_reads_of_one_page_waiting_together_are_answered_by_one_execution(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    served_cached: tuple[Http, CachedReads],
) -> None:
    http, reads = served_cached
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    await seed.vendor(sessions, MERCHANT_A, "Mill")
    adjust = {
        "i": {"stock": {"stockId": global_id("Stock", stock_id)}, "delta": "1", "reason": "x"}
    }

    async with vendor_table_locked(database_url):
        held = asyncio.create_task(http.post(VENDORS))
        await asyncio.sleep(0.2)
        # A write the readers must see, committed before they ask.
        written = await http.post(ADJUST, adjust)
        waiting = [asyncio.create_task(http.post(STOCKS)) for _ in range(5)]
        await asyncio.sleep(0.1)
        executed_before = reads.cache.stores
    answers = await asyncio.gather(held, *waiting)

    assert written.json()["data"]["stockAdjust"]["userErrors"] == []
    assert [answer.status_code for answer in answers] == [200] * 6
    pages = [answer.json()["data"] for answer in answers[1:]]
    assert pages == [{"stocks": {"nodes": [{"onHand": "3"}]}}] * 5
    # One of the five executed; the four waiting with it were answered by its result.
    assert reads.served == 4
    assert reads.cache.stores - executed_before <= 1


async def test_reads_arriving_during_a_write_wait_for_its_end() -> None:
    gate = ReadGate(places=2, wait_seconds=5)
    order: list[str] = []

    async def read() -> None:
        await gate.after_writes()
        order.append("read")

    with gate.writing():
        reading = asyncio.create_task(read())
        await asyncio.sleep(0.05)
        order.append("write done")
    await reading
    await read()  # no write in the process: at once

    assert order == ["write done", "read", "read"]


async def test_a_stream_of_writes_holds_a_read_back_for_the_wait_at_most() -> None:
    gate = ReadGate(places=2, wait_seconds=0.1)
    with gate.writing():
        started = time.monotonic()
        await gate.after_writes()
        waited = time.monotonic() - started

    assert 0.1 <= waited < 1


def test_only_a_single_mutation_bypasses_the_gate(schema: object) -> None:
    plans = Plans(schema)  # type: ignore[arg-type]

    assert is_mutation(b'{"query": "mutation { __typename }"}', plans)
    assert not is_mutation(b'{"query": "{ stocks { nodes { id } } }"}', plans)
    assert not is_mutation(b'[{"query": "mutation { __typename }"}]', plans)
    assert not is_mutation(b'{"query": "mutation {"}', plans)
    assert not is_mutation(b"not json", plans)
    named = b'{"query": "query A { __typename } mutation B { __typename }", "operationName": "B"}'
    assert is_mutation(named, plans)
    assert not is_mutation(named.replace(b'"B"}', b'"A"}'), plans)
