"""GraphQL benchmark: the stock dashboard's query over 10,000 stocks, and a busy shop.

    python -m bench graphql  (or python bench/graphql_bench.py [--stocks 10000]
        [--concurrency 50] [--duration 15] [--readers 50] [--writes 50] [--no-record])

One command: starts an embedded PostgreSQL (or uses BENCH_DATABASE_URL), migrates,
seeds one merchant with N stocks (half products, half materials, over 4 locations),
then serves in subprocesses, each one uvicorn worker:

- the ceiling: a plain Starlette + asyncpg app that runs, per request, SQL giving the
  same rows (the page with its locations and items, the incoming quantities) and writes
  the same JSON (checked equal to the service's answer before the load);
- the real /graphql route (authentication with a dev token, security extensions on,
  the query budget raised so the load generator is not throttled) with the response
  cache and the read gate off (GRAPHQL_RESPONSE_CACHE_ENTRIES=0, GRAPHQL_READS_AT_ONCE=0:
  every request executes) and reads waiting for one of the pool's 10 connections
  as long as it takes (GRAPHQL_READ_CONNECTIONS=10, GRAPHQL_READ_WAIT_SECONDS=30: none
  is refused), as the ceiling's requests wait for one of its pool's 10)
  and with default settings (the repeated query is a cache hit);
- the other list pages (bench/graphql_pages.py): `inventoryItems(first: 100)` with
  availableToSell, recipe and stocks, and `materials(first: 100)` with stocks, uncached,
  each beside a ceiling of its own (the same SQL rows, the same JSON), CPU per row;
- the busy shop (bench/graphql_busy.py): `--readers` dashboard clients and `--writes`
  stockAdjust per second to the same merchant on one instance (default settings),
  reads and writes timed apart, any answer but a 200 without errors counted as an
  error: writes alone, closed-loop dashboards (the target row) and dashboards
  refreshing once a second.

The query is what a stock dashboard sends: `stocks(first: 100)` with every field of
Stock in the contract (onHand reserved available incoming lowStock, the item union, the
location). Loaded by `wrk` (apt-get install wrk) or, without it, by an httpx/asyncio load
generator in a separate process. Prints requests/s, p50/p99 and each server's CPU per
request, and appends them under "## GraphQL" in bench/RESULTS.md with the machine and
the date. Targets: uncached ≥ 30% of the ceiling's requests/s and ≤ 2.5 ms worker CPU
per page; busy shop writes p99 < 100 ms, reads p99 < 500 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import graphql_busy, harness  # noqa: E402 (run as a script, the root is on the path only now)

HEADING = "## GraphQL"
MACHINE_NOTE = " (other work on the machine skews both rows)"
MERCHANT = uuid.UUID("00000000-0000-7000-8000-0000000000be")
# What a stock dashboard sends: every field of Stock in the contract.
QUERY = """query Stocks { stocks(first: 100) { nodes {
  id onHand reserved available incoming lowStock
  item { __typename ... on InventoryItem { id name sku } ... on Material { id name unit } }
  location { id name }
} } }"""
ADJUST = """mutation Adjust($i: StockAdjustInput!) { stockAdjust(input: $i) {
  stock { id onHand version } userErrors { code } } }"""

# The ceiling's SQL: the same page (stocks by id with their location and item) and the
# same incoming quantities (open lines of ORDERED purchase orders not received, summed per
# stock) as the service's, in one statement as the service reads them.
PAGE_SQL = """
SELECT s.id, s.on_hand, s.reserved, s.available, s.low_stock_threshold, s.item_type,
       s.location_id, l.name AS location_name,
       i.id AS item_id, i.name AS item_name, i.sku AS item_sku,
       m.id AS material_id, m.name AS material_name, m.unit AS material_unit,
       coalesce(incoming.quantity, 0) AS incoming
FROM stock s
JOIN location l ON l.id = s.location_id AND l.merchant_id = s.merchant_id
LEFT JOIN inventory_item i ON i.id = s.inventory_item_id AND i.merchant_id = s.merchant_id
LEFT JOIN material m ON m.id = s.material_id AND m.merchant_id = s.merchant_id
LEFT JOIN (
  SELECT po.location_id, line.item_type,
         coalesce(line.inventory_item_id, line.material_id) AS item_id,
         sum(line.quantity_ordered) AS quantity
  FROM purchase_order po
  JOIN purchase_order_line line ON line.purchase_order_id = po.id AND line.merchant_id = $1
  WHERE po.merchant_id = $1 AND po.status = 'ORDERED' AND line.quantity_received IS NULL
  GROUP BY 1, 2, 3
) incoming ON incoming.location_id = s.location_id AND incoming.item_type = s.item_type
  AND incoming.item_id = coalesce(s.inventory_item_id, s.material_id)
WHERE s.merchant_id = $1 ORDER BY s.id LIMIT 101"""


# ---- the two servers (uvicorn factories, run in subprocesses) -------------------------


def graphql_app() -> Any:
    """The real route, middleware and lifespan, with an unthrottled query budget."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware

    from app.auth.identity import build_identity
    from app.auth.request_id import RequestIdMiddleware
    from app.cli.serve import freeze_startup_objects
    from app.db.data_versions import EXTRAS_KEY, maybe_listening
    from app.runtime import Runtime, open_database
    from app.settings import load_settings
    from graphql_schema.app import caller_key, graphql_routes
    from graphql_schema.security import SecurityLimits, security_extensions

    settings = load_settings()
    limits = SecurityLimits(budget_points=10**9, refill_per_second=10**9)
    extensions = security_extensions(
        limits, production=settings.is_production, caller_key=caller_key
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_database(settings, application_name="graphql-bench") as database,
            maybe_listening(
                database.url, wanted=settings.graphql_response_cache_entries > 0
            ) as versions,
        ):
            identity = await build_identity(settings)
            app.state.runtime = Runtime(settings=settings, database=database, identity=identity)
            if versions is not None:
                app.state.runtime.extras[EXTRAS_KEY] = versions
            try:
                yield
            finally:
                await identity.aclose()

    app = Starlette(
        routes=graphql_routes(settings, extensions=list(extensions)),
        middleware=[Middleware(RequestIdMiddleware)],
        lifespan=lifespan,
    )
    freeze_startup_objects()  # as `inventory serve` does
    return app


def ceiling_app() -> Any:
    """Plain Starlette + asyncpg: the page's SQL run per request, the same JSON written."""
    import asyncpg  # type: ignore[import-untyped]
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from app.cli.serve import freeze_startup_objects
    from app.domain.quantities import decimal_str
    from graphql_schema.ids import global_id

    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    pool: Any = None

    def node(row: Any) -> dict[str, Any]:
        if row["item_type"] == "PRODUCT":
            item = {
                "__typename": "InventoryItem",
                "id": global_id("InventoryItem", row["item_id"]),
                "name": row["item_name"],
                "sku": row["item_sku"],
            }
        else:
            item = {
                "__typename": "Material",
                "id": global_id("Material", row["material_id"]),
                "name": row["material_name"],
                "unit": row["material_unit"],
            }
        threshold = row["low_stock_threshold"]
        return {
            "id": global_id("Stock", row["id"]),
            "onHand": decimal_str(row["on_hand"]),
            "reserved": decimal_str(row["reserved"]),
            "available": decimal_str(row["available"]),
            "incoming": decimal_str(row["incoming"]),
            "lowStock": threshold is not None and row["available"] <= threshold,
            "item": item,
            "location": {
                "id": global_id("Location", row["location_id"]),
                "name": row["location_name"],
            },
        }

    async def answer(request: Request) -> Response:
        nonlocal pool
        await request.body()
        if pool is None:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=10)
        async with pool.acquire() as connection:
            rows = (await connection.fetch(PAGE_SQL, MERCHANT))[:100]
        nodes = [node(row) for row in rows]
        # The service's own encoder (graphql_schema/json_body.py): the same bytes, as fast.
        body = orjson.dumps({"data": {"stocks": {"nodes": nodes}}})
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
    freeze_startup_objects()
    return app


# ---- database -------------------------------------------------------------------------


async def seed(url: str, stocks: int) -> None:
    from sqlalchemy import delete, insert

    from app.db import tables as t
    from app.db.engine import create_engine
    from app.db.models.base import uuid7
    from app.domain.enums import ItemType

    rng = random.Random(7)
    locations = [{"id": uuid7(), "merchant_id": MERCHANT, "name": f"Store {i}"} for i in range(4)]
    rows: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    materials: list[dict[str, Any]] = []
    for i in range(stocks):
        product = i % 2 == 0
        item_id = uuid7()
        if product:
            items.append(
                {
                    "id": item_id,
                    "merchant_id": MERCHANT,
                    "product_variant_id": uuid.uuid4(),
                    "name": f"Product {i}",
                    "sku": f"SKU-{i}",
                    "unit": "pcs",
                }
            )
        else:
            materials.append(
                {"id": item_id, "merchant_id": MERCHANT, "name": f"Material {i}", "unit": "g"}
            )
        rows.append(
            {
                "id": uuid7(),
                "merchant_id": MERCHANT,
                "location_id": locations[i % 4]["id"],
                "item_type": ItemType.PRODUCT if product else ItemType.MATERIAL,
                "inventory_item_id": item_id if product else None,
                "material_id": None if product else item_id,
                "on_hand": Decimal(rng.randint(0, 100_000)) / 100,
                "reserved": Decimal(rng.randint(0, 500)) / 100,
                "version": 1,
            }
        )
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # A previous run's busy shop left movements of these stocks.
            for table in (
                t.purchase_order_line,  # bench/graphql_pages_seed.py's, which reference items
                t.purchase_order,
                t.vendor,
                t.recipe_line,
                t.recipe,
                t.stock_movement,
                t.stock,
                t.inventory_item,
                t.material,
                t.location,
            ):
                await connection.execute(delete(table).where(table.c.merchant_id == MERCHANT))
            await connection.execute(insert(t.location), locations)
            for start in range(0, len(items), 2000):
                await connection.execute(insert(t.inventory_item), items[start : start + 2000])
            for start in range(0, len(materials), 2000):
                await connection.execute(insert(t.material), materials[start : start + 2000])
            for start in range(0, len(rows), 2000):
                await connection.execute(insert(t.stock), rows[start : start + 2000])
        # Outside a transaction: an ANALYZE rolled back with it leaves the planner guessing
        # (it then sorts all 10,000 stocks for a page instead of walking the id index).
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


@contextmanager
def database(work: Path) -> Iterator[str]:
    configured = os.environ.get("BENCH_DATABASE_URL")
    if configured:
        from app.settings import to_asyncpg_url

        yield to_asyncpg_url(configured)
        return
    from app.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(work / "postgres", database="bench")
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


# ---- servers --------------------------------------------------------------------------


def wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


@dataclass
class Server:
    url: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc), 0 where that is not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(factory: str, env: dict[str, str]) -> Iterator[Server]:
    from app.embedded import free_port

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        factory if ":" in factory else f"bench.graphql_bench:{factory}",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        wait_for(port, process)
        yield Server(f"http://127.0.0.1:{port}/graphql", process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- load -----------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    requests: int = 0
    worker_cpu_ms: float = 0.0  # the server's CPU per request, whatever share it was given
    worker_cores: float = 0.0  # the share of a core the server got during the load

    @property
    def pages_per_second(self) -> float:
        """Requests/s answered with a page (200 without errors)."""
        served = max(self.requests - self.errors, 0)
        return self.requests_per_second * served / self.requests if self.requests else 0.0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def run_wrk(url: str, body: str, token: str, concurrency: int, duration: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = [==[{body}]==]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
            # A 200 whose body carries errors is an error too (counted per thread).
            "bad_bodies = 0\n"
            "local threads = {}\n"
            "function setup(thread) table.insert(threads, thread) end\n"
            "function response(status, headers, body)\n"
            "  if status == 200 and string.find(body, '\"errors\"', 1, true) then\n"
            "    bad_bodies = bad_bodies + 1\n"
            "  end\n"
            "end\n"
            "function done(summary, latency, requests)\n"
            "  local n = 0\n"
            '  for _, t in ipairs(threads) do n = n + t:get("bad_bodies") end\n'
            '  io.write(string.format("200 with errors: %d\\n", n))\n'
            "end\n"
        )
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{duration}s",
                "--timeout",
                "60s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    errors += int(re.search(r"200 with errors: (\d+)", output).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return Load(rps, p50, p99, errors, "wrk -t1", done)


async def _python_load(
    url: str, body: str, token: str, concurrency: int, duration: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests_per_second": len(latencies) / elapsed,
        "p50_ms": harness.percentile(latencies, 50),
        "p99_ms": harness.percentile(latencies, 99),
        "errors": errors,
        "requests": len(latencies),
    }


def run_python_load(url: str, body: str, token: str, concurrency: int, duration: int) -> Load:
    spec = json.dumps([url, body, token, concurrency, duration])
    output = subprocess.run(
        [sys.executable, __file__, "--load-generator", spec],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return Load(**json.loads(output), tool="httpx + asyncio (1 process)")


def load(server: Server, body: str, token: str, concurrency: int, duration: int) -> Load:
    cpu_before, started = cpu_seconds(server.pid), time.monotonic()
    if shutil.which("wrk"):
        result = run_wrk(server.url, body, token, concurrency, duration)
    else:
        result = run_python_load(server.url, body, token, concurrency, duration)
    cpu = cpu_seconds(server.pid) - cpu_before
    # Per page served: a refusal (503) costs little and serves nothing.
    result.worker_cpu_ms = cpu * 1000 / max(result.requests - result.errors, 1)
    result.worker_cores = cpu / (time.monotonic() - started)
    return result


# ---- the run --------------------------------------------------------------------------


def post_once(url: str, body: str, token: str, root: str = "stocks") -> bytes:
    import httpx

    response = httpx.post(
        url,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    response.raise_for_status()
    data = response.json()
    if "errors" in data or len(data["data"][root]["nodes"]) != 100:
        raise RuntimeError(f"unexpected answer: {response.text[:500]}")
    return response.content


def report(
    args: argparse.Namespace,
    ceiling: Load,
    served: Load,
    uncached: Load,
    busy: list[graphql_busy.BusyRow],
    payload_bytes: int,
    host: str,
) -> str:
    share = served.pages_per_second / ceiling.pages_per_second
    uncached_share = uncached.pages_per_second / ceiling.pages_per_second
    met = uncached_share >= 0.30 and uncached.worker_cpu_ms <= 2.5
    today = harness.utc_stamp()

    def row(name: str, load: Load) -> str:
        return (
            f"| {name} | {load.requests_per_second:.0f} | {load.pages_per_second:.0f} |"
            f" {load.p50_ms:.1f} | {load.p99_ms:.1f} |"
            f" {load.errors} | {load.worker_cpu_ms:.2f} | {load.worker_cores:.2f} |"
        )

    return "\n".join(
        [
            f"### {today}",
            "",
            f"- machine: {host}; shared with other engineers' work during the run: the"
            " ratios to the same-run ceiling are what count",
            f"- data: {args.stocks} stocks of one merchant; the dashboard query"
            " `stocks(first: 100)` with every Stock field of the contract (onHand reserved"
            " available incoming lowStock, the item union, the location); response"
            f" {payload_bytes} bytes",
            f"- load: {served.tool}, {args.concurrency} connections, {args.duration} s each,"
            " one uvicorn worker per server, same run",
            "",
            "| endpoint | requests/s | pages/s | p50 ms | p99 ms | errors (non-2xx, 200 with"
            " errors) | worker CPU ms/page | worker's share of a core |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            row("Starlette + asyncpg: the same SQL, the same JSON (ceiling)", ceiling),
            row("/graphql, cache and read gate off: every request executes", uncached),
            row("/graphql, response cache (default settings)", served),
            "",
            f"Uncached: {uncached_share:.0%} of the ceiling's pages/s (target ≥ 30%),"
            f" {uncached.worker_cpu_ms:.2f} ms worker CPU per page (target ≤ 2.5):"
            f" target {'met' if met else 'MISSED'}. Cached: {share:.0%} of the ceiling.",
            "",
            *graphql_busy.report_lines(busy, args.readers, args.writes),
            "",
        ]
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--no-record", "--no-append", dest="no_record", action="store_true")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writes", type=int, default=50, help="stockAdjust per second")
    parser.add_argument("--load-generator", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load_generator:
        url, body, token, concurrency, duration = json.loads(args.load_generator)
        print(json.dumps(asyncio.run(_python_load(url, body, token, concurrency, duration))))
        return 0

    host = harness.machine("before the run", MACHINE_NOTE)
    with tempfile.TemporaryDirectory(prefix="graphql-bench-") as tmp, database(Path(tmp)) as url:
        from app.db.migrate import upgrade_to_head

        work = Path(tmp)
        from bench import graphql_pages, graphql_pages_seed

        upgrade_to_head(url)
        asyncio.run(seed(url, args.stocks))
        location = asyncio.run(graphql_pages_seed.seed_pages(url))
        token = harness.dev_token(work, MERCHANT)
        body = json.dumps({"query": QUERY})
        env = {
            "DATABASE_URL": url,
            "DATA_DIR": str(work),
            "MIGRATE_ON_START": "false",
            "RUN_RELAY_IN_SERVE": "false",
            "LOG_LEVEL": "WARNING",
            "DATABASE_POOL_SIZE": "10",
        }
        with serve("graphql_app", env) as graphql:
            payload = post_once(graphql.url, body, token)
            for _ in range(20):  # warm-up, sequential, so nothing is left queued
                post_once(graphql.url, body, token)
            with serve("ceiling_app", {"DATABASE_URL": url}) as ceiling_server:
                ceiling_answer = post_once(ceiling_server.url, body, token)
                if json.loads(ceiling_answer)["data"] != json.loads(payload)["data"]:
                    raise RuntimeError("the ceiling's answer differs from the service's")
                for _ in range(20):
                    post_once(ceiling_server.url, body, token)
                ceiling = load(ceiling_server, body, token, args.concurrency, args.duration)
            served = load(graphql, body, token, args.concurrency, args.duration)
        # What executing the page costs, beside the ceiling: every request executes and
        # none is refused (refusals are the busy shop's subject). Reads wait for one of
        # the pool's connections as the ceiling's wait for one of its pool's: without the
        # read budget, 50 requests at once open and close overflow connections over and
        # over (~0.6 ms of worker CPU a page, and seconds of p99), which the ceiling's
        # fixed pool never does.
        no_cache = {
            **env,
            "GRAPHQL_RESPONSE_CACHE_ENTRIES": "0",
            "GRAPHQL_READ_CONNECTIONS": env["DATABASE_POOL_SIZE"],
            "GRAPHQL_READ_WAIT_SECONDS": "30",
            "GRAPHQL_READS_AT_ONCE": "0",
        }
        with serve("graphql_app", no_cache) as plain:
            if json.loads(post_once(plain.url, body, token))["data"] != json.loads(payload)["data"]:
                raise RuntimeError("the uncached answer differs from the cached one")
            for _ in range(20):
                post_once(plain.url, body, token)
            uncached = load(plain, body, token, args.concurrency, args.duration)
            pages = graphql_pages.run(plain, env, token, location, args)
        stock_ids = [n["id"] for n in json.loads(payload)["data"]["stocks"]["nodes"]][:20]
        with graphql_busy.serve(env) as shop:
            post_once(shop.url, body, token)
            busy = graphql_busy.run_rows(
                shop, token, QUERY, stock_ids, args.readers, args.writes, args.duration
            )
    section = report(args, ceiling, served, uncached, busy, len(payload), host)
    section += "\n" + graphql_pages.report(pages)
    print(section)
    if not args.no_record:
        harness.append_to_section(HEADING, section, intro="Run: `python bench/graphql_bench.py`.")
        print(f"appended to {harness.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
