"""The busy shop: dashboards and stockAdjust on one instance, reads and writes timed apart.

    python -m bench.graphql_busy [--stocks 10000] [--readers 50] [--writes 50]
        [--duration 15]

(`python -m bench graphql` runs the same rows after the dashboard's; this command runs
them alone.) One uvicorn worker serves the real /graphql route with default settings
(response cache, read gate, read connection budget). Three rows, each with the server's
CPU per request from /proc (whatever share of a core it was given):

- writes alone: `--writes` stockAdjust per second, nothing else: what a write costs;
- closed-loop dashboards (the target row, the issue's stress): `--readers` wrk
  connections posting the dashboard query back to back, no think time, beside the
  writes;
- dashboards refreshing once a second: `--readers` clients each posting the query once
  a second (a screen on a timer), beside the writes.

Writes come from their own process at a fixed rate (open loop: a slow answer does not
slow the sending), each to one of 20 stocks in turn. Any answer but a 200 without
errors counts as an error (a 503 THROTTLED too: the target is none). Targets: writes
p99 < 100 ms, reads p99 < 500 ms, no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402 (run as a script, the root is on the path only now)

ADJUST = """mutation Adjust($i: StockAdjustInput!) { stockAdjust(input: $i) {
  stock { id onHand version } userErrors { code } } }"""
CLOSED_LOOP = "closed-loop dashboards (target)"
PACED = "dashboards refreshing once a second"
WRITES_ALONE = "writes alone"


@dataclass
class Timings:
    """One kind of request in a row: answered per second, latency, errors."""

    per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    count: int = 0

    @classmethod
    def of(cls, latencies: list[float], errors: int, elapsed: float) -> Timings:
        if not latencies:
            return cls(errors=errors)
        return cls(
            len(latencies) / elapsed,
            harness.percentile(latencies, 50),
            harness.percentile(latencies, 99),
            errors,
            len(latencies),
        )


@dataclass
class BusyRow:
    name: str
    reads: Timings
    writes: Timings
    worker_cpu_ms: float  # the server's CPU per request answered (reads and writes)
    worker_cores: float  # the share of a core the server got during the row
    tool: str
    # The worker's CPU time that passed while a request was in the app (CpuClock).
    read_cpu_p99_ms: float = 0.0
    write_cpu_p50_ms: float = 0.0
    write_cpu_p99_ms: float = 0.0

    @property
    def met(self) -> bool:
        return (
            self.writes.p99_ms < 100
            and self.reads.p99_ms < 500
            and self.reads.errors == self.writes.errors == 0
        )


# ---- the server: the bench's app with a CPU clock around each request ---------------


class CpuClock:
    """ASGI middleware: for each POST, the worker's CPU time (all its work, not only this
    request's) that passed while the request was in the app: its latency counted in CPU
    rather than wall time, what it would be on a core of the worker's own. A loaded
    machine stretches wall time, not this. GET /bench-cpu answers the samples so far
    (milliseconds, by kind) and starts over."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.samples: dict[str, list[float]] = {"reads": [], "writes": []}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/bench-cpu":
            from starlette.responses import JSONResponse

            samples, self.samples = self.samples, {"reads": [], "writes": []}
            await JSONResponse(samples)(scope, receive, send)
            return
        message = await receive()
        kind = "writes" if b"mutation" in message.get("body", b"")[:200] else "reads"
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return message

        started = time.process_time()
        try:
            await self.app(scope, replay, send)
        finally:
            self.samples[kind].append((time.process_time() - started) * 1000)


def busy_app() -> Any:
    """graphql_bench's app (the real route, default settings) inside the CPU clock."""
    from bench.graphql_bench import graphql_app

    return CpuClock(graphql_app())


def serve(env: dict[str, str]) -> contextlib.AbstractContextManager[Any]:
    """`busy_app` in one uvicorn worker of its own (graphql_bench.serve)."""
    from bench.graphql_bench import serve as serve_factory

    return serve_factory("bench.graphql_busy:busy_app", env)


# ---- the load generator (a process of its own) ---------------------------------------


async def generate(
    url: str,
    token: str,
    query: str,
    stock_ids: list[str],
    writes_per_second: int,
    paced_readers: int,
    duration: float,
) -> dict[str, Any]:
    """`writes_per_second` stockAdjust, and `paced_readers` clients posting `query` once
    a second each; both open loop (sent on time whatever the answers)."""
    import httpx

    latencies: dict[str, list[float]] = {"reads": [], "writes": []}
    errors = {"reads": 0, "writes": 0}
    # What the errors were: "<kind> <status> <first error code>", counted.
    causes: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    # Idle connections dropped before uvicorn's keep-alive timeout (5 s) closes them.
    connections = paced_readers + 64
    limits = httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2
    )
    read_body = json.dumps({"query": query})

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def post(content: str, kind: str) -> None:
            started = time.perf_counter()
            try:
                response = await client.post(url, content=content, headers=headers)
            except httpx.TransportError as exc:
                errors[kind] += 1
                cause = f"{kind} {type(exc).__name__}"
                causes[cause] = causes.get(cause, 0) + 1
                return
            latencies[kind].append((time.perf_counter() - started) * 1000)
            body = response.json()
            if response.status_code != 200 or "errors" in body:
                errors[kind] += 1
                code = (body.get("errors") or [{}])[0].get("extensions", {}).get("code")
                cause = f"{kind} {response.status_code} {code}"
                causes[cause] = causes.get(cause, 0) + 1

        async def paced(rate: float, offset: float, content: Any, kind: str) -> None:
            """Post at `rate` per second from `offset` on, each on time (open loop)."""
            pending: set[asyncio.Task[None]] = set()
            begun = time.perf_counter() + offset
            sent = 0
            while True:
                due = begun + sent / rate
                if due >= deadline:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                body = content(sent) if callable(content) else content
                task = asyncio.create_task(post(body, kind))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            await asyncio.gather(*pending)

        def adjust(sent: int) -> str:
            stock = {"stockId": stock_ids[sent % len(stock_ids)]}
            variables = {"i": {"stock": stock, "delta": "1", "reason": "bench"}}
            return json.dumps({"query": ADJUST, "variables": variables})

        started = time.perf_counter()
        deadline = started + duration
        readers = [
            paced(1.0, i / max(paced_readers, 1), read_body, "reads") for i in range(paced_readers)
        ]
        await asyncio.gather(paced(writes_per_second, 0.0, adjust, "writes"), *readers)
        elapsed = time.perf_counter() - started
    measured: dict[str, Any] = {
        kind: asdict(Timings.of(latencies[kind], errors[kind], elapsed))
        for kind in ("reads", "writes")
    }
    measured["causes"] = causes
    return measured


# ---- a row ----------------------------------------------------------------------------


def run_row(
    name: str,
    server: Any,
    token: str,
    query: str,
    stock_ids: list[str],
    *,
    writes: int,
    closed_loop_readers: int = 0,
    paced_readers: int = 0,
    duration: int,
) -> BusyRow:
    """One row against `server` (graphql_bench.Server): the generator in its own process,
    closed-loop readers by wrk beside it."""
    from bench.graphql_bench import cpu_seconds, run_wrk

    if closed_loop_readers and not shutil.which("wrk"):
        raise RuntimeError("the closed-loop row needs wrk (apt-get install wrk)")
    spec = json.dumps([server.url, token, query, stock_ids, writes, paced_readers, duration])
    cpu_samples(server.url)  # the clock starts over: only this row's requests count
    cpu_before, started = cpu_seconds(server.pid), time.monotonic()
    generator = subprocess.Popen(
        [sys.executable, __file__, "--generator", spec],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    body = json.dumps({"query": query})
    wrk = None
    if closed_loop_readers:
        wrk = run_wrk(server.url, body, token, closed_loop_readers, duration)
    output, _ = generator.communicate()
    if generator.returncode:
        raise RuntimeError(f"the busy-shop generator exited with {generator.returncode}")
    cpu = cpu_seconds(server.pid) - cpu_before
    wall = time.monotonic() - started
    clock = cpu_samples(server.url)
    measured = json.loads(output)
    if measured["causes"]:
        print(f"{name}: errors of the generator's requests {measured['causes']}", file=sys.stderr)
    reads = Timings(**measured["reads"])
    if wrk is not None:
        reads = Timings(wrk.requests_per_second, wrk.p50_ms, wrk.p99_ms, wrk.errors, wrk.requests)
    written = Timings(**measured["writes"])
    answered = reads.count + written.count
    tool = "wrk -t1 (reads) + httpx (writes)" if wrk is not None else "httpx + asyncio"
    return BusyRow(
        name,
        reads,
        written,
        cpu * 1000 / max(answered, 1),
        cpu / wall,
        tool,
        harness.percentile(clock["reads"], 99) if clock["reads"] else 0.0,
        harness.percentile(clock["writes"], 50) if clock["writes"] else 0.0,
        harness.percentile(clock["writes"], 99) if clock["writes"] else 0.0,
    )


def cpu_samples(url: str) -> dict[str, list[float]]:
    """The CpuClock's samples since the last call (empty without the clock)."""
    import httpx

    response = httpx.get(url.replace("/graphql", "/bench-cpu"), timeout=30)
    if response.status_code != 200:
        return {"reads": [], "writes": []}
    samples: dict[str, list[float]] = response.json()
    return samples


ROWS = (WRITES_ALONE, CLOSED_LOOP, PACED)


def run_rows(
    server: Any,
    token: str,
    query: str,
    stock_ids: list[str],
    readers: int,
    writes: int,
    duration: int,
    rows: tuple[str, ...] = ROWS,
) -> list[BusyRow]:
    """Writes alone, then the closed-loop (target) row, then the paced one."""
    common: dict[str, Any] = {"writes": writes, "duration": duration}
    readers_of = {
        WRITES_ALONE: {},
        CLOSED_LOOP: {"closed_loop_readers": readers},
        PACED: {"paced_readers": readers},
    }
    return [
        run_row(name, server, token, query, stock_ids, **common, **readers_of[name])
        for name in ROWS
        if name in rows
    ]


def report_lines(rows: list[BusyRow], readers: int, writes: int) -> list[str]:
    lines = [
        f"Busy shop ({readers} dashboard clients + {writes} stockAdjust/s to the same"
        " merchant, one instance, default settings; reads by wrk -t1 when closed-loop,"
        " httpx otherwise; writes open loop by httpx):",
        "",
        "| row | reads/s | read p50 ms | read p99 ms | read errors | writes/s | write p50 ms"
        " | write p99 ms | write errors | worker CPU ms/request | worker's share of a core"
        " | write p50 / p99, worker CPU ms | read p99, worker CPU ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        " ---: |",
    ]
    for row in rows:
        r, w = row.reads, row.writes
        lines.append(
            f"| {row.name} | {r.per_second:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors}"
            f" | {w.per_second:.1f} | {w.p50_ms:.1f} | {w.p99_ms:.1f} | {w.errors}"
            f" | {row.worker_cpu_ms:.2f} | {row.worker_cores:.2f}"
            f" | {row.write_cpu_p50_ms:.1f} / {row.write_cpu_p99_ms:.1f}"
            f" | {row.read_cpu_p99_ms:.1f} |"
        )
    target = next((row for row in rows if row.name == CLOSED_LOOP), None)
    if target is not None:
        lines += [
            "",
            "Targets (closed-loop row) writes p99 < 100 ms, reads p99 < 500 ms, no errors:"
            f" {'met' if target.met else 'MISSED'}. The last two columns count a request's"
            " latency in the worker's CPU time that passed meanwhile (its own work and"
            " everything the loop ran before its answer): what it would be with a core"
            " of its own, whatever else loads the machine.",
        ]
    return lines


# ---- alone ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=10_000)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--writes", type=int, default=50, help="stockAdjust per second")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument(
        "--rows", default="alone,closed,paced", help="which rows: alone, closed, paced"
    )
    parser.add_argument("--generator", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generator:
        print(json.dumps(asyncio.run(generate(*json.loads(args.generator)))))
        return 0

    from bench import graphql_bench as dashboard

    print(harness.machine("before the run"))
    with (
        tempfile.TemporaryDirectory(prefix="graphql-busy-") as tmp,
        dashboard.database(Path(tmp)) as url,
    ):
        from app.db.migrate import upgrade_to_head

        work = Path(tmp)
        upgrade_to_head(url)
        asyncio.run(dashboard.seed(url, args.stocks))
        token = harness.dev_token(work, dashboard.MERCHANT)
        body = json.dumps({"query": dashboard.QUERY})
        env = {
            "DATABASE_URL": url,
            "DATA_DIR": str(work),
            "MIGRATE_ON_START": "false",
            "RUN_RELAY_IN_SERVE": "false",
            "LOG_LEVEL": "WARNING",
            "DATABASE_POOL_SIZE": "10",
        }
        with serve(env) as shop:
            payload = dashboard.post_once(shop.url, body, token)
            for _ in range(20):
                dashboard.post_once(shop.url, body, token)
            nodes = json.loads(payload)["data"]["stocks"]["nodes"]
            stock_ids = [node["id"] for node in nodes][:20]
            chosen = {"alone": WRITES_ALONE, "closed": CLOSED_LOOP, "paced": PACED}
            rows = run_rows(
                shop,
                token,
                dashboard.QUERY,
                stock_ids,
                args.readers,
                args.writes,
                args.duration,
                tuple(chosen[name] for name in args.rows.split(",")),
            )
    print("\n".join(report_lines(rows, args.readers, args.writes)))
    print(harness.machine("after the run"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
