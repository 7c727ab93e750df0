"""Availability benchmark: `python bench/availability_bench.py [--rounds N] [--no-record]
[--query-only] [--prep]` (--query-only: part 1 alone, nothing recorded).

With --prep, the milk is a prep item (made from two ingredients no product uses, by a
prep recipe), so the query reads prep items in 200 recipes, and each fan-out round
records a production of it (`productionRecord`'s service: one PRODUCTION_CONSUMPTION
per ingredient and the PRODUCTION_OUTPUT of the milk, all three events produced) instead
of a ±1 adjustment.

One merchant, one location, 500 untracked-or-tracked items with a 5-line recipe each
over 50 materials; one material ("the milk") is a line of 200 of those recipes.

1. The query: availableToSell of all 500 items at the location in ONE GraphQL query.
   A page is at most 250 items (`first` above 250 is refused), so the query holds
   two aliased connections, `head: inventoryItems(first: 250)` and
   `tail: inventoryItems(last: 250)`, which together are the 500 items and need no
   cursor from a first round trip. Timed over HTTP one request at a time (latency,
   not queueing), interleaved with the plain `stocks(first: 100)` dashboard query in
   the same run. SQL statements counted in this process on the same schema, for 2 x 25
   and 2 x 250 items: constant.
2. The fan-out: the milk's stock changes by one unit (all 200 products move), the
   `inventory.stock-changed` event is produced to Kafka, and one websocket client
   subscribed to `availabilityChanged(locationId)` waits for the 200 messages; the
   time from producing the event to the last message, per round, and the app's event
   loop time in that round on a CPU and waiting for one (/proc/<pid>/schedstat: its own
   work apart from the machine's load).

The app runs in its own process as `inventory serve` runs it (uvicorn, the real /graphql
route with create_app's metrics extension and middlewares, realtime hub and consumer,
startup objects frozen out of the GC; the query budget raised so the benchmark is not
throttled; relay off: this process produces the events it stages; the GraphQL response
cache off, so every request computes the availability). DATABASE_URL and
KAFKA_BOOTSTRAP_SERVERS when set (disposable servers), else an embedded PostgreSQL and
tansu. Appends the figures under "## Availability" in bench/RESULTS.md. Targets: constant
statement count, query p99 < 50 ms, fan-out < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402 (run as a script, the root is on the path only now)

HEADING = "## Availability"
MERCHANT = uuid.UUID("00000000-0000-7000-8000-0000000000a5")
ITEMS, LINES, MATERIALS, MILK_USERS = 500, 5, 50, 200
MACHINE_NOTE = " (other work on the machine skews every figure)"

AVAILABILITY = """query Availability($loc: ID!, $n: Int!) {
  head: inventoryItems(first: $n) { nodes { id availableToSell(locationId: $loc) } }
  tail: inventoryItems(last: $n) { nodes { id availableToSell(locationId: $loc) } }
}"""
STOCKS = """query Stocks { stocks(first: 100) { nodes {
  id onHand reserved available
  item { __typename ... on InventoryItem { id name sku } ... on Material { id name unit } }
  location { id name }
} } }"""
SUBSCRIPTION = """subscription ($loc: ID!) {
  availabilityChanged(locationId: $loc) { inventoryItem { id } availableToSell soldOut }
}"""


# ---- the app (a uvicorn factory, run in its own process) ------------------------------


def bench_app() -> Any:
    """`create_app`'s GraphQL route (its metrics extension and middleware included) and
    realtime side, with an unthrottled query budget."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from app import metrics
    from app.auth.identity import build_identity
    from app.auth.request_id import RequestIdMiddleware
    from app.cli.serve import freeze_startup_objects
    from app.realtime.lifespan import open_realtime
    from app.runtime import Runtime, open_database
    from app.settings import load_settings
    from graphql_schema.app import caller_key, graphql_routes
    from graphql_schema.security import SecurityLimits, security_extensions
    from graphql_schema.writes_visible import WritesVisibleMiddleware

    settings = load_settings()
    limits = SecurityLimits(budget_points=10**9, refill_per_second=10**9)
    extensions = [
        metrics.GraphQLOperationMetrics,
        *security_extensions(limits, production=False, caller_key=caller_key),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_database(settings, application_name="availability-bench") as database,
            open_realtime(settings, database.sessions) as realtime,
        ):
            identity = await build_identity(settings)
            app.state.runtime = Runtime(
                settings=settings, database=database, identity=identity, realtime=realtime
            )
            try:
                yield
            finally:
                await identity.aclose()

    app = Starlette(
        routes=graphql_routes(settings, extensions=extensions),
        middleware=[
            Middleware(metrics.MetricsMiddleware),
            Middleware(RequestIdMiddleware),
            Middleware(WritesVisibleMiddleware),
        ],
        lifespan=lifespan,
    )
    freeze_startup_objects()  # as `inventory serve` does
    return app


@contextlib.asynccontextmanager
async def serving_app(
    database: str, bootstrap: str, data_dir: Path
) -> AsyncIterator[tuple[int, int]]:
    """(port, pid) of the app, serving."""
    from app.embedded import free_port
    from app.websocket_protocol import PROTOCOL as WEBSOCKET_PROTOCOL

    port = free_port()
    # The availability is computed for every request: no GraphQL response cache
    # (repeated identical queries would be answered from it).
    env = harness.app_environment(
        database, bootstrap, data_dir, {"GRAPHQL_RESPONSE_CACHE_ENTRIES": "0"}
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.availability_bench:bench_app",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        # The websocket implementation and options `inventory serve` runs with.
        "--ws",
        WEBSOCKET_PROTOCOL,
        "--ws-per-message-deflate",
        "false",
    ]
    async with harness.app_process(command, env, f"http://127.0.0.1:{port}/graphql") as process:
        yield port, process.pid


# ---- data -----------------------------------------------------------------------------


@dataclass
class Shop:
    location: uuid.UUID
    milk: uuid.UUID
    items: list[uuid.UUID]


async def seed(database: str, prep: bool = False) -> Shop:
    """The café: every item has 5 recipe lines; half are tracked with stock of their own."""
    from sqlalchemy import insert

    from app.db import tables as t
    from app.db.engine import create_engine
    from app.db.migrate import upgrade_to_head
    from app.db.models.base import uuid7
    from app.domain.enums import ItemType, RecipeOwner

    await asyncio.to_thread(upgrade_to_head, database)
    location = uuid7()
    materials: list[dict[str, Any]] = [
        {"id": uuid7(), "merchant_id": MERCHANT, "name": f"material {i}", "unit": "g"}
        for i in range(MATERIALS)
    ]
    milk = materials[0]["id"]
    items: list[dict[str, Any]] = []
    recipes: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    stocks: list[dict[str, Any]] = []
    for i in range(ITEMS):
        item, variant, recipe = uuid7(), uuid.uuid4(), uuid7()
        tracked = i % 2 == 1
        items.append(
            {
                "id": item,
                "merchant_id": MERCHANT,
                "product_variant_id": variant,
                "name": f"item {i}",
                "sku": f"SKU-{i}",
                "unit": "pcs",
                "track_inventory": tracked,
            }
        )
        recipes.append(
            {
                "id": recipe,
                "merchant_id": MERCHANT,
                "owner_type": RecipeOwner.PRODUCT_VARIANT,
                "owner_id": variant,
                "yield_quantity": None,
            }
        )
        # 5 distinct materials other than the milk; the first 200 items use the milk too.
        others = [materials[1 + (i + k * 7) % (MATERIALS - 1)] for k in range(LINES)]
        used = [materials[0], *others[: LINES - 1]] if i < MILK_USERS else others
        for position, material in enumerate(used):
            lines.append(
                {
                    "id": uuid7(),
                    "merchant_id": MERCHANT,
                    "recipe_id": recipe,
                    "material_id": material["id"],
                    "quantity": Decimal(1) if material["id"] == milk else Decimal(position + 1),
                    "position": position,
                }
            )
        if tracked:
            stocks.append(_stock(location, ItemType.PRODUCT, item, Decimal(10**6)))
    if prep:
        # The milk is made from two ingredients that no product uses.
        ingredients = [
            {"id": uuid7(), "merchant_id": MERCHANT, "name": f"ingredient {i}", "unit": "g"}
            for i in range(2)
        ]
        prep_recipe = uuid7()
        recipes.append(
            {
                "id": prep_recipe,
                "merchant_id": MERCHANT,
                "owner_type": RecipeOwner.PREP_ITEM,
                "owner_id": milk,
                "yield_quantity": Decimal(1),
            }
        )
        lines += [
            {
                "id": uuid7(),
                "merchant_id": MERCHANT,
                "recipe_id": prep_recipe,
                "material_id": ingredient["id"],
                "quantity": Decimal(1),
                "position": position,
            }
            for position, ingredient in enumerate(ingredients)
        ]
        materials += ingredients
    stocks += [
        _stock(location, ItemType.MATERIAL, m["id"], Decimal(1000 if m["id"] == milk else 10**7))
        for m in materials
    ]
    engine = create_engine(database)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(t.location), [{"id": location, "merchant_id": MERCHANT, "name": "Café"}]
            )
            for table, rows in (
                (t.material, materials),
                (t.inventory_item, items),
                (t.recipe, recipes),
                (t.recipe_line, lines),
                (t.stock, stocks),
            ):
                for start in range(0, len(rows), 1000):
                    await connection.execute(insert(table), rows[start : start + 1000])
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()
    return Shop(location, milk, [row["id"] for row in items])


def _stock(
    location: uuid.UUID, item_type: Any, item_id: uuid.UUID, on_hand: Decimal
) -> dict[str, Any]:
    from app.db.models.base import uuid7
    from app.domain.enums import ItemType

    product = item_type is ItemType.PRODUCT
    return {
        "id": uuid7(),
        "merchant_id": MERCHANT,
        "location_id": location,
        "item_type": item_type,
        "inventory_item_id": item_id if product else None,
        "material_id": None if product else item_id,
        "on_hand": on_hand,
        "version": 0,
    }


# ---- part 1: the query ----------------------------------------------------------------


def global_id(type_name: str, pk: uuid.UUID) -> str:
    from graphql_schema.ids import global_id as encode

    return encode(type_name, pk)


async def statement_counts(database: str, shop: Shop) -> dict[str, int]:
    """SQL statements of each query, executed in this process on the served schema."""
    from sqlalchemy import event

    from app.auth.identity import build_identity
    from app.auth.principal import Principal
    from app.db.engine import create_engine, create_session_factory
    from app.settings import Settings
    from graphql_schema.context import Context
    from graphql_schema.schema import build_schema

    settings = Settings(database_url=database, data_dir=Path(tempfile.mkdtemp()))
    engine = create_engine(database)
    identity = await build_identity(settings)
    schema = build_schema(settings)
    counts: dict[str, int] = {}
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("")

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        cases = [
            ("availableToSell of 2 x 25 items", AVAILABILITY, 25),
            ("availableToSell of 2 x 250 items", AVAILABILITY, 250),
            ("stocks(first: 100)", STOCKS, 0),
        ]
        for name, query, n in cases:
            principal = Principal(
                subject="bench",
                merchant_id=MERCHANT,
                role="owner",
                is_service=False,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
            context = Context(
                settings=settings,
                sessions=create_session_factory(engine),
                identity=identity,
                principal=principal,
            )
            variables = {"loc": global_id("Location", shop.location), "n": n} if n else None
            statements.clear()
            result = await schema.execute(query, variable_values=variables, context_value=context)
            if result.errors:
                raise RuntimeError(result.errors)
            counts[name] = len(statements)
            if n == 250:
                assert result.data is not None
                ids = {node["id"] for part in result.data.values() for node in part["nodes"]}
                if len(ids) != ITEMS:
                    raise RuntimeError(f"head and tail hold {len(ids)} items, not {ITEMS}")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
        await identity.aclose()
        await engine.dispose()
    return counts


async def time_queries(port: int, token: str, shop: Shop, rounds: int) -> dict[str, list[float]]:
    """Latency of each query, one request at a time, the two interleaved."""
    import httpx

    url = f"http://127.0.0.1:{port}/graphql"
    bodies = {
        "availableToSell, 500 items": {
            "query": AVAILABILITY,
            "variables": {"loc": global_id("Location", shop.location), "n": 250},
        },
        "stocks(first: 100)": {"query": STOCKS},
    }
    timings: dict[str, list[float]] = {name: [] for name in bodies}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for i in range(rounds + 20):  # the first 20 warm up caches and connections
            for name, body in bodies.items():
                started = time.perf_counter()
                response = await client.post(url, json=body)
                elapsed = (time.perf_counter() - started) * 1000
                answer = response.json()
                if response.status_code != 200 or answer.get("errors"):
                    raise RuntimeError(f"{name}: {response.status_code} {answer}")
                if i >= 20:
                    timings[name].append(elapsed)
    return timings


# ---- part 2: the fan-out --------------------------------------------------------------


async def staged_milk_change(
    database: str, shop: Shop, delta: Decimal, prep: bool = False
) -> list[tuple[bytes, bytes]]:
    """Adjust the milk through the service (with --prep: record a production of `delta`
    > 0, or of 1); (key, value) of the stock events it staged, in order."""
    from sqlalchemy import select, update

    from app.db import tables as t
    from app.db.engine import create_engine, create_session_factory
    from app.domain.enums import ItemType
    from app.kafka import topics
    from app.services.context import Actor
    from app.services.productions import ProductionInput, record_production
    from app.services.stock_adjustments import adjust_stock
    from app.services.stock_refs import StockRef

    engine = create_engine(database, pool_size=1)
    try:
        sessions = create_session_factory(engine)
        actor = Actor(MERCHANT, "bench")
        if prep:
            made = ProductionInput(shop.location, shop.milk, max(delta, Decimal(1)))
            await record_production(sessions, actor, made)
        else:
            ref = StockRef(
                location_id=shop.location, item_type=ItemType.MATERIAL, item_id=shop.milk
            )
            await adjust_stock(sessions, actor, ref=ref, delta=delta, reason="bench")
        outbox = t.outbox_event
        async with sessions.begin() as session:
            rows = (
                await session.execute(
                    select(outbox.c.key, outbox.c.payload)
                    .where(
                        outbox.c.topic == topics.INVENTORY_STOCK_CHANGED,
                        outbox.c.sent_at.is_(None),
                    )
                    .order_by(outbox.c.seq)
                )
            ).all()
            await session.execute(
                update(outbox).where(outbox.c.sent_at.is_(None)).values(sent_at=outbox.c.created_at)
            )
    finally:
        await engine.dispose()
    return [(row.key.encode(), json.dumps(row.payload).encode()) for row in rows]


@dataclass
class Round:
    broker_ms: float  # produce → a raw consumer with the app's fetch options
    first_ms: float  # produce → the first availabilityChanged at the client
    last_ms: float  # produce → the last (200th)
    app_cpu_ms: float  # the app's event loop on a CPU from produce to the last message
    app_waited_ms: float  # ... and runnable but waiting for a CPU (the machine's load)


async def fan_out(
    port: int,
    pid: int,
    token: str,
    bootstrap: str,
    database: str,
    shop: Shop,
    rounds: int,
    prep: bool = False,
) -> list[Round]:
    """Per round of one milk change: produce → broker receipt, first and last message."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    from app.kafka import topics

    url = f"ws://127.0.0.1:{port}/graphql"
    times: list[Round] = []
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks=1)
    await producer.start()
    # The broker's share, as the app's realtime consumer reads (no group, 100 ms fetch wait).
    tap = AIOKafkaConsumer(
        topics.INVENTORY_STOCK_CHANGED,
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=100,
    )
    await tap.start()
    try:
        async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
            if json.loads(await ws.recv())["type"] != "connection_ack":
                raise RuntimeError("the socket was not acknowledged")
            variables = {"loc": global_id("Location", shop.location)}
            payload = {"query": SUBSCRIPTION, "variables": variables}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            await asyncio.sleep(0.5)
            # Round 0 waits for the app's consumer to be reading (it starts at "latest").
            for round_ in range(rounds + 1):
                delta = Decimal(-1 if round_ % 2 == 0 else 1)
                staged = await staged_milk_change(database, shop, delta, prep)
                seen: set[str] = set()
                first = 0.0
                ran_before, waited_before = app_schedstat_ms(pid)
                started = time.perf_counter()
                for key, value in staged:
                    await producer.send(topics.INVENTORY_STOCK_CHANGED, value, key=key)
                await producer.flush()
                broker = asyncio.create_task(_received(tap, staged[-1][1], started))
                deadline = 120 if round_ == 0 else 30
                while len(seen) < MILK_USERS:
                    raw = await asyncio.wait_for(ws.recv(), deadline)
                    message = json.loads(raw)
                    if message.get("type") != "next":
                        continue
                    if not seen:
                        first = (time.perf_counter() - started) * 1000
                    seen.add(
                        message["payload"]["data"]["availabilityChanged"]["inventoryItem"]["id"]
                    )
                last = (time.perf_counter() - started) * 1000
                ran, waited = app_schedstat_ms(pid)
                broker_ms = await asyncio.wait_for(broker, 30)
                if round_ > 0:
                    times.append(
                        Round(broker_ms, first, last, ran - ran_before, waited - waited_before)
                    )
                await asyncio.sleep(0.2)
    finally:
        await tap.stop()
        await producer.stop()
    return times


def app_schedstat_ms(pid: int) -> tuple[float, float]:
    """ms the app's event loop has run, and has waited for a CPU while runnable, so far."""
    ran, waited = harness.schedstat(pid)
    return ran * 1000, waited * 1000


async def _received(consumer: Any, value: bytes, started: float) -> float:
    while True:
        batches = await consumer.getmany(timeout_ms=1000)
        for records in batches.values():
            if any(record.value == value for record in records):
                return (time.perf_counter() - started) * 1000


# ---- the run --------------------------------------------------------------------------


@dataclass
class Figures:
    statements: dict[str, int]
    queries: dict[str, list[float]]
    fan_out: list[Round]
    services: str
    prep: bool = False


async def run(rounds: int, fan_out_rounds: int | None, prep: bool = False) -> Figures:
    with tempfile.TemporaryDirectory() as work:
        data_dir = Path(work)
        async with harness.services() as (database, bootstrap, where):
            shop = await seed(database, prep)
            statements = await statement_counts(database, shop)
            token = harness.dev_token(data_dir, MERCHANT)
            async with serving_app(database, bootstrap, data_dir) as (port, pid):
                queries = await time_queries(port, token, shop, rounds)
                spread = (
                    []
                    if fan_out_rounds is None
                    else await fan_out(
                        port, pid, token, bootstrap, database, shop, fan_out_rounds, prep
                    )
                )
    return Figures(statements, queries, spread, where, prep)


def report(f: Figures) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    percentile = harness.percentile
    stamp = harness.utc_stamp()
    counts = list(f.statements.values())
    constant = counts[0] == counts[1]
    availability = f.queries["availableToSell, 500 items"]
    lasts = [r.last_ms for r in f.fan_out]
    firsts = [r.first_ms for r in f.fan_out]
    brokers = [r.broker_ms for r in f.fan_out]
    cpus = [r.app_cpu_ms for r in f.fan_out]
    waits = [r.app_waited_ms for r in f.fan_out]
    rows = [
        f"### {stamp}",
        "",
        f"- machine: {harness.machine('at the end', MACHINE_NOTE)}",
        f"- data: one location, {ITEMS} items with {LINES} recipe lines each over {MATERIALS} "
        f"materials, half of them tracked with stock of their own; one material used by "
        f"{MILK_USERS} recipes"
        + (" and is a prep item made from two other materials" if f.prep else "")
        + f"; {f.services}; the app in its own process (uvicorn, memory "
        "broadcaster), the clients in the benchmark process, all on this machine",
        "- query: `head: inventoryItems(first: 250)` and `tail: inventoryItems(last: 250)` "
        "aliased in one document (a `first` above 250 is refused), `id availableToSell` per "
        f"node; {len(availability)} requests of each query one at a time, interleaved, after "
        "20 of warm-up; statements counted in process on the same schema; the GraphQL "
        "response cache off (GRAPHQL_RESPONSE_CACHE_ENTRIES=0): every request computes",
        (
            f"- fan-out: {len(f.fan_out)} rounds of a production of that prep item (+1; all "
            f"{MILK_USERS} counts move): its three `inventory.stock-changed` events (two "
            "ingredients, the prep item)"
            if f.prep
            else f"- fan-out: {len(f.fan_out)} rounds of a ±1 adjustment of that material "
            f"(all {MILK_USERS} counts move): its `inventory.stock-changed` event"
        )
        + " produced by the benchmark, timed to the first and the last of the 200 "
        "`availabilityChanged` messages at one websocket client"
        if f.fan_out
        else "- fan-out: not run (--query-only)",
        "",
        "| measure | result | target |",
        "| --- | --- | --- |",
    ]
    for name, count in f.statements.items():
        rows.append(f"| SQL statements: {name} | {count} | |")
    rows.append(
        f"| statement count constant (2 x 25 vs 2 x 250 items) | {constant} | {verdict(constant)} |"
    )
    for name, timings in f.queries.items():
        p99 = percentile(timings, 99)
        target = f"p99 < 50 ms: {verdict(p99 < 50)}" if name == "availableToSell, 500 items" else ""
        rows.append(
            f"| {name} | p50 {percentile(timings, 50):.1f} ms, **p99 {p99:.1f} ms** | {target} |"
        )
    if not lasts:
        rows += ["| fan-out | not run (--query-only) | |", ""]
        return "\n".join(rows)
    worst = max(lasts)
    rows += [
        f"| fan-out to 200 products: event → last message | p50 {percentile(lasts, 50):.1f} ms, "
        f"**max {worst:.1f} ms** | < 100 ms: {verdict(worst < 100)} |",
        f"| event → first message | p50 {percentile(firsts, 50):.1f} ms, "
        f"max {max(firsts):.1f} ms | |",
        f"| app event loop per round, on a CPU (consumer, derivation, 200 messages) | p50 "
        f"{percentile(cpus, 50):.1f} ms, max {max(cpus):.1f} ms | |",
        f"| app event loop per round, runnable but waiting for a CPU (machine load) | p50 "
        f"{percentile(waits, 50):.1f} ms, max {max(waits):.1f} ms | |",
        f"| event → a raw consumer (the broker's share, same fetch options) | p50 "
        f"{percentile(brokers, 50):.1f} ms, max {max(brokers):.1f} ms | |",
        "",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed requests per query")
    parser.add_argument("--fan-out-rounds", type=int, default=20, help="material changes")
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument(
        "--query-only", action="store_true", help="skip the fan-out (implies --no-record)"
    )
    parser.add_argument(
        "--prep", action="store_true", help="the shared material is a prep item; rounds produce it"
    )
    args = parser.parse_args()
    fan_out_rounds = None if args.query_only else args.fan_out_rounds
    section = report(asyncio.run(run(args.rounds, fan_out_rounds, args.prep)))
    print(section)
    if not (args.no_record or args.query_only):
        intro = "Run: `python bench/availability_bench.py` (see its docstring)."
        harness.append_to_section(HEADING, section, intro=intro)


if __name__ == "__main__":
    main()
