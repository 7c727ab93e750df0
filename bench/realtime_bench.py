"""Realtime benchmark: `python bench/realtime_bench.py [--clients N] [--rate R] [--seconds S]`.

One app instance (`inventory serve` in its own process, BROADCAST_URL=memory://)
with `--clients` websocket clients subscribed to `stockChanged(locationId)`, ten per
location as POS terminals are, while this process produces `--rate`
`inventory.stock-changed` events a second to Kafka for `--seconds`, spread over the
locations and their stocks. Each event carries its produce time (nanoseconds, in
`movement.reason`); each client records the delay to its receipt. Measured: p50/p99/max
latency, messages delivered per second, messages lost (every event must reach the ten
clients of its location), and the app's RSS sampled every 5 s. Memory is judged over
the timed period only (from the end of the warm-up, when every subscription has
delivered and every per-socket buffer exists, to the end): "stable" means it grew by
less than RSS_STABLE_MB, and the growth of its second half shows whether it levels off.

Uses DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS when set (point them at disposable
servers), else an embedded PostgreSQL and tansu. Prints a markdown section and appends
it to bench/RESULTS.md under "## Realtime".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.embedded import free_port
from app.kafka import topics
from app.kafka.client import ensure_topics
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402 (run as a script, the root is on the path only now)

HEADING = "## Realtime"
PER_LOCATION = 10
STOCKS_PER_LOCATION = 10
# RSS growth over the timed period still called stable (allocator arenas round up).
RSS_STABLE_MB = 8.0
SUBSCRIPTION = """
subscription ($locationId: ID) {
  stockChanged(locationId: $locationId) {
    stock { id onHand available version }
    movement { type reason }
  }
}
"""


@contextlib.asynccontextmanager
async def serving_app(
    database: str, bootstrap: str, data_dir: Path, port: int
) -> AsyncIterator[subprocess.Popen[bytes]]:
    env = harness.app_environment(database, bootstrap, data_dir, {"RUN_RELAY_IN_SERVE": "false"})
    command = [sys.executable, "-m", "app.cli.main", "serve", "--port", str(port)]
    async with harness.app_process(command, env, f"http://127.0.0.1:{port}/healthz") as process:
        yield process


@dataclass
class Client:
    location: int
    ws: ClientConnection
    received: set[int] = field(default_factory=set)


@dataclass
class Run:
    merchant: uuid.UUID
    locations: list[uuid.UUID]
    stocks: list[list[uuid.UUID]]
    versions: dict[uuid.UUID, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    kafka_ms: list[float] = field(default_factory=list)
    recording: bool = False

    def payload(self, seq: int, location: int, stock: uuid.UUID, probe: bool = False) -> bytes:
        version = self.versions[stock] = self.versions.get(stock, 0) + 1
        movement = str(uuid.uuid4())
        on_hand = str(1000 - version)
        return json.dumps(
            {
                "eventId": movement,
                "eventType": "INVENTORY_STOCK_CHANGED",
                "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "merchantId": str(self.merchant),
                "locationId": str(self.locations[location]),
                "stockId": str(stock),
                "itemType": "PRODUCT",
                "inventoryItemId": str(stock),
                "onHand": on_hand,
                "reserved": "0",
                "available": on_hand,
                "version": version,
                "lowStock": False,
                "lowStockBefore": False,
                "lowStockThreshold": None,
                "movement": {
                    "id": movement,
                    "type": "SALE",
                    "referenceType": "SALE_ORDER",
                    "referenceId": str(uuid.uuid4()),
                    "deltaOnHand": "-1",
                    "deltaReserved": "0",
                    # "probe" events find out when the app's consumer is reading.
                    "reason": f"{'probe' if probe else 'bench'} {seq} {time.time_ns()}",
                },
            }
        ).encode()


async def open_client(url: str, token: str, run: Run, location: int) -> Client:
    ws = await connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], max_size=None)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
    ack = json.loads(await ws.recv())
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    variables = {"locationId": str(run.locations[location])}
    payload = {"query": SUBSCRIPTION, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    return Client(location, ws)


async def listen(client: Client, run: Run, probes: asyncio.Event) -> None:
    with contextlib.suppress(Exception):
        async for raw in client.ws:
            received = time.time_ns()
            message = json.loads(raw)
            if message.get("type") != "next":
                continue
            kind, seq, sent = message["payload"]["data"]["stockChanged"]["movement"][
                "reason"
            ].split()
            if kind == "probe":
                probes.set()
                continue
            client.received.add(int(seq))
            if run.recording:
                run.latencies_ms.append((received - int(sent)) / 1e6)


async def app_metric(port: int, series: str) -> float:
    """One series of the app's /metrics (e.g. `inventory_realtime_subscribers`)."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[1])
    return math.nan


async def produce(
    producer: AIOKafkaProducer, run: Run, rate: int, seconds: float, *, first: int
) -> tuple[list[tuple[int, int]], float]:
    """(seq, location) of every event, and the rate achieved."""
    sent: list[tuple[int, int]] = []
    total = int(rate * seconds)
    locations = len(run.locations)
    started = time.monotonic()
    for seq in range(first, first + total):
        await asyncio.sleep(max(0.0, started + (seq - first) / rate - time.monotonic()))
        location = seq % locations
        stock = run.stocks[location][(seq // locations) % STOCKS_PER_LOCATION]
        await producer.send(
            topics.INVENTORY_STOCK_CHANGED,
            run.payload(seq, location, stock),
            key=str(stock).encode(),
        )
        sent.append((seq, location))
    await producer.flush()
    return sent, total / max(time.monotonic() - started, 1e-9)


async def wait_for_consumer(producer: AIOKafkaProducer, run: Run, probes: asyncio.Event) -> None:
    """Probe events until one reaches a client: the app's consumer is reading from here on."""
    async with asyncio.timeout(120):
        while not probes.is_set():
            stock = run.stocks[0][0]
            await producer.send_and_wait(
                topics.INVENTORY_STOCK_CHANGED, run.payload(-1, 0, stock, probe=True)
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(probes.wait(), 0.5)


async def kafka_leg(bootstrap: str, latencies_ms: list[float], ready: asyncio.Event) -> None:
    """A raw consumer with the realtime consumer's options: the broker's share of the delay."""
    consumer = AIOKafkaConsumer(
        topics.INVENTORY_STOCK_CHANGED,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        fetch_max_wait_ms=100,
    )
    await consumer.start()
    try:
        while not consumer.assignment():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        for partition in consumer.assignment():
            await consumer.position(partition)
        ready.set()
        while True:
            batches = await consumer.getmany(timeout_ms=1000)
            now = time.time_ns()
            for records in batches.values():
                for record in records:
                    reason = json.loads(record.value)["movement"]["reason"].split()
                    if reason[0] == "bench":
                        latencies_ms.append((now - int(reason[2])) / 1e6)
    finally:
        await consumer.stop()


def rss_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 2**20


async def sample_memory(
    process: psutil.Process, samples: list[tuple[float, float]], cpu: list[tuple[float, float]]
) -> None:
    """(monotonic time, RSS) of the app every 5 s, and the CPU share of the app and of
    this process."""
    me = psutil.Process()
    process.cpu_percent()
    me.cpu_percent()
    while True:
        samples.append((time.monotonic(), rss_mb(process)))
        await asyncio.sleep(5)
        cpu.append((process.cpu_percent(), me.cpu_percent()))


@dataclass(frozen=True)
class Figures:
    clients: int
    locations: int
    rate: int
    achieved_rate: float
    seconds: float
    warmup: float
    expected: int
    delivered: int
    lost: int
    delivered_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    kafka_p50_ms: float
    kafka_p99_ms: float
    rss_start_mb: float
    rss_timed_start_mb: float
    rss_half_mb: float
    rss_end_mb: float
    rss_max_mb: float
    rss_every_30s: list[float]
    app_cpu_percent: float
    bench_cpu_percent: float
    app_ran_s: float
    app_waited_s: float
    services: str


async def run_bench(args: argparse.Namespace) -> Figures:
    locations = max(1, args.clients // PER_LOCATION)
    run = Run(
        merchant=uuid.uuid4(),
        locations=[uuid.uuid4() for _ in range(locations)],
        stocks=[[uuid.uuid4() for _ in range(STOCKS_PER_LOCATION)] for _ in range(locations)],
    )
    async with harness.services() as (database, bootstrap, where):
        await ensure_topics(
            Settings(kafka_bootstrap_servers=bootstrap), [topics.INVENTORY_STOCK_CHANGED]
        )
        data_dir = Path(tempfile.mkdtemp())
        token = harness.dev_token(
            data_dir, run.merchant, subject="bench-pos", role="cashier", ttl=timedelta(hours=12)
        )
        port = free_port()
        url = f"ws://127.0.0.1:{port}/graphql"
        async with serving_app(database, bootstrap, data_dir, port) as process:
            app = psutil.Process(process.pid)
            clients: list[Client] = []
            for start in range(0, args.clients, 50):
                batch = range(start, min(start + 50, args.clients))
                clients += await asyncio.gather(
                    *(open_client(url, token, run, i % locations) for i in batch)
                )
            probes = asyncio.Event()
            listeners = [asyncio.create_task(listen(c, run, probes)) for c in clients]
            async with asyncio.timeout(60):
                while await app_metric(port, "inventory_realtime_subscribers") < args.clients:  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks=1)
            await producer.start()
            try:
                await wait_for_consumer(producer, run, probes)
                raw_ready = asyncio.Event()
                raw_leg = asyncio.create_task(kafka_leg(bootstrap, run.kafka_ms, raw_ready))
                await asyncio.wait_for(raw_ready.wait(), 60)
                print(f"{len(clients)} clients subscribed; producing for {args.seconds} s")
                samples: list[tuple[float, float]] = []
                cpu: list[tuple[float, float]] = []
                sampler = asyncio.create_task(sample_memory(app, samples, cpu))
                warmup, _ = await produce(producer, run, args.rate, args.warmup, first=0)
                timed_from = time.monotonic()
                samples.append((timed_from, rss_mb(app)))
                ran_before, waited_before = harness.schedstat(process.pid)
                run.recording = True
                sent, achieved = await produce(
                    producer, run, args.rate, args.seconds, first=len(warmup)
                )
                sent += warmup
                ran_after, waited_after = harness.schedstat(process.pid)
                ran, waited = ran_after - ran_before, waited_after - waited_before
                by_location: dict[int, set[int]] = {}
                for seq, location in sent:
                    by_location.setdefault(location, set()).add(seq)
                await _drain(clients, by_location, within=10)
                for outcome in ("published", "offered"):
                    series = f'inventory_realtime_messages_total{{outcome="{outcome}"}}'
                    print(f"app {outcome}: {await app_metric(port, series):.0f}")
                print(f"raw consumer received {len(run.kafka_ms)} timed events")
                run.recording = False
                sampler.cancel()
                raw_leg.cancel()
                samples.append((time.monotonic(), rss_mb(app)))
            finally:
                await producer.stop()
            for listener in listeners:
                listener.cancel()
            await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)

    expected_total = sum(len(by_location.get(c.location, ())) for c in clients)
    delivered = sum(len(c.received & by_location.get(c.location, set())) for c in clients)
    return Figures(
        clients=len(clients),
        locations=locations,
        rate=args.rate,
        achieved_rate=achieved,
        seconds=args.seconds,
        warmup=args.warmup,
        expected=expected_total,
        delivered=delivered,
        lost=expected_total - delivered,
        delivered_per_s=delivered / (args.seconds + args.warmup),
        p50_ms=harness.percentile(run.latencies_ms, 50),
        p99_ms=harness.percentile(run.latencies_ms, 99),
        max_ms=max(run.latencies_ms, default=math.nan),
        kafka_p50_ms=harness.percentile(run.kafka_ms, 50),
        kafka_p99_ms=harness.percentile(run.kafka_ms, 99),
        **memory_figures(sorted(samples), timed_from, args.seconds),
        app_cpu_percent=sum(a for a, _ in cpu) / max(1, len(cpu)),
        bench_cpu_percent=sum(b for _, b in cpu) / max(1, len(cpu)),
        app_ran_s=ran,
        app_waited_s=waited,
        services=where,
    )


def memory_figures(
    samples: Sequence[tuple[float, float]], timed_from: float, seconds: float
) -> dict[str, Any]:
    """RSS before the warm-up, at the start, middle and end of the timed period, and every
    30 s of it (samples are (monotonic time, MB), one every 5 s)."""
    timed = [(at - timed_from, mb) for at, mb in samples if at >= timed_from]

    def at(offset: float) -> float:
        return min(timed, key=lambda sample: abs(sample[0] - offset))[1]

    return {
        "rss_start_mb": samples[0][1],
        "rss_timed_start_mb": timed[0][1],
        "rss_half_mb": at(seconds / 2),
        "rss_end_mb": timed[-1][1],
        "rss_max_mb": max(mb for _, mb in samples),
        "rss_every_30s": [at(offset) for offset in range(0, int(seconds) + 1, 30)],
    }


async def _drain(
    clients: Sequence[Client], by_location: dict[int, set[int]], within: float
) -> None:
    """Wait until every client has every event of its location (or `within` s pass)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while any(len(c.received) < len(by_location.get(c.location, ())) for c in clients):  # noqa: ASYNC110
                await asyncio.sleep(0.2)


def report(f: Figures) -> str:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    growth = f.rss_end_mb - f.rss_timed_start_mb
    second_half = f.rss_end_mb - f.rss_half_mb
    stamp = harness.utc_stamp()
    return "\n".join(
        [
            f"### {stamp}",
            "",
            f"- machine: {harness.machine('at the end')}",
            f"- setup: one app process (`inventory serve`, memory broadcaster), {f.clients} "
            f"websocket clients (graphql-transport-ws) in the benchmark process, "
            f"{PER_LOCATION} per location over {f.locations} locations, each subscribed to "
            f"`stockChanged(locationId)`; {f.services}; everything on the same machine",
            f"- load: {f.rate} `inventory.stock-changed` events/s produced to Kafka for "
            f"{f.seconds:g} s timed after {f.warmup:g} s of warm-up (achieved "
            f"{f.achieved_rate:.1f}/s), {STOCKS_PER_LOCATION} stocks per location; lost and "
            "delivered count both periods, latencies the timed one",
            "",
            "| measure | result | target |",
            "| --- | --- | --- |",
            f"| produce → client receipt | p50 {f.p50_ms:.1f} ms, **p99 {f.p99_ms:.1f} ms**, "
            f"max {f.max_ms:.1f} ms | p99 < 250 ms: {verdict(f.p99_ms < 250)} |",
            f"| produce → a raw consumer in the benchmark (same fetch options): the broker's "
            f"share | p50 {f.kafka_p50_ms:.1f} ms, p99 {f.kafka_p99_ms:.1f} ms | |",
            f"| delivered | {f.delivered:,} of {f.expected:,} "
            f"({f.delivered_per_s:,.0f} messages/s), lost {f.lost} | none lost: "
            f"{verdict(f.lost == 0)} |",
            f"| app RSS over the timed {f.seconds:g} s | {f.rss_timed_start_mb:.0f} MB after the "
            f"warm-up, {f.rss_end_mb:.0f} MB at the end ({growth:+.1f} MB; second half "
            f"{second_half:+.1f} MB); every 30 s: "
            f"{', '.join(f'{mb:.0f}' for mb in f.rss_every_30s)} MB; before the warm-up "
            f"{f.rss_start_mb:.0f} MB, max {f.rss_max_mb:.0f} MB | stable (grows < "
            f"{RSS_STABLE_MB:g} MB): {verdict(growth < RSS_STABLE_MB)} |",
            f"| CPU (100% = one core) | app {f.app_cpu_percent:.0f}%, benchmark process "
            f"(clients, producer) {f.bench_cpu_percent:.0f}% | |",
            f"| app main thread during the timed {f.seconds:g} s (/proc schedstat) | ran "
            f"{f.app_ran_s:.1f} s, runnable but waiting for a CPU {f.app_waited_s:.1f} s; "
            f"{1e6 * f.app_ran_s / max(1, f.rate * f.seconds * PER_LOCATION):.0f} µs of CPU per "
            "delivered message | |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=100, help="events per second")
    parser.add_argument("--seconds", type=float, default=120.0, help="measured period")
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds produced first, counted but not timed"
    )
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    section = report(asyncio.run(run_bench(args)))
    print(section)
    if not args.no_record:
        intro = "Run: `python bench/realtime_bench.py` (see its docstring)."
        harness.append_to_section(HEADING, section, intro=intro)


if __name__ == "__main__":
    main()
