"""Outbox relay benchmark: `python -m bench.relay_bench [--rows N] [--rate R] [--seconds S]`.

Measures, in one run:

1. Throughput: N pending outbox rows (staged by real stock movements, two rows
   per material movement, 200 materials) from the relay's start until every
   one is acknowledged by the broker and marked sent — beside a ceiling: a raw
   aiokafka producer with the relay's options (acks=all, no linger) sending the
   same N payloads with the same keys and headers.
2. Latency: R changes/s for S seconds, each its own transaction committing a
   material movement's two outbox rows, written by a separate process
   (`relay_latency.py`); the delay from just before each COMMIT to the
   broker's acknowledgement of its events (stamped when the relay's batch is
   acknowledged, before it is marked). Beside it, a raw producer's
   send-to-ack delay at the same event rate.

Uses DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS when set (a fresh database is
created next to DATABASE_URL and dropped afterwards; the events go to the real
topic names, so point it at a disposable broker), else an embedded PostgreSQL
and tansu. Prints a markdown table and appends it to bench/RESULTS.md under
"## Outbox relay".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import text

from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.models import Location, Material
from app.domain.enums import MovementType, ReferenceType
from app.kafka.client import create_producer
from app.outbox.claims import ClaimedEvent
from app.outbox.publisher import headers
from app.outbox.relay import OutboxRelay
from app.outbox.runner import build_relay
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.settings import Settings
from bench import harness
from bench.relay_latency import RELAY_PRODUCER, ceiling_latency, relay_latency
from bench.relay_report import HEADING, Figures, markdown_table

MATERIALS = 200


async def seed(url: str) -> tuple[Actor, list[StockKey]]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    merchant = uuid.uuid4()
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant, name="Bench", is_default=True)
        materials = [
            Material(merchant_id=merchant, name=f"m{i}", unit="g") for i in range(MATERIALS)
        ]
        session.add_all([location, *materials])
    await engine.dispose()
    return Actor(merchant, "bench"), [StockKey.material(location.id, m.id) for m in materials]


def _move(key: StockKey, ref: str) -> Move:
    return Move(key, MovementType.ADJUSTMENT, ReferenceType.MANUAL, ref, Decimal("1.25"))


async def stage(url: str, actor: Actor, keys: Sequence[StockKey], rows: int) -> None:
    """rows/2 material movements, 100 per transaction: two outbox rows each."""
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    moves = [_move(keys[i % len(keys)], f"stage-{i}") for i in range(rows // 2)]
    for start in range(0, len(moves), 100):
        chunk = moves[start : start + 100]
        async with sessions.begin() as session:
            stocks = await lock_stocks(session, actor.merchant_id, [m.key for m in chunk])
            await apply_moves(session, actor, stocks, chunk)
    await engine.dispose()


async def ceiling_throughput(url: str, settings: Settings) -> float:
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT seq, id, topic, key, event_type, payload::text AS value, request_id,"
                    " attempts FROM outbox_event ORDER BY seq"
                )
            )
        ).all()
    await engine.dispose()
    events = [ClaimedEvent(*row) for row in rows]
    producer = create_producer(settings, **RELAY_PRODUCER)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(e.topic, e.value.encode(), key=e.key.encode(), headers=headers(e))
            for e in events
        ]
        await asyncio.gather(*futures)
        return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def relay_throughput(relay: OutboxRelay, rows: int) -> float:
    await relay.publisher.connect()
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    while relay.stats.published < rows:  # noqa: ASYNC110 - the relay's own counter
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    relay.stop()
    await task
    return rows / elapsed


async def run(args: argparse.Namespace) -> Figures:
    # A database of its own: the relay drains, and the ceiling reads, every outbox row.
    async with harness.services(fresh_database=True) as (url, bootstrap, where):
        await asyncio.to_thread(upgrade_to_head, url)
        idempotence = os.environ.get("KAFKA_ENABLE_IDEMPOTENCE", "false").lower() == "true"
        settings = Settings(kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=idempotence)
        actor, keys = await seed(url)
        await stage(url, actor, keys, args.rows)
        ceiling = await ceiling_throughput(url, settings)
        engine = create_engine(url)
        throughput = await relay_throughput(
            build_relay(settings, engine, database_url=url), args.rows
        )
        await engine.dispose()
        delays, achieved = await relay_latency(
            url, settings, rate=args.rate, seconds=args.seconds, templates=MATERIALS
        )
        raw_delays = await ceiling_latency(settings, 2 * args.rate, min(args.seconds, 5.0))
        return Figures(
            rows=args.rows,
            relay_events_per_s=throughput,
            ceiling_events_per_s=ceiling,
            rate=args.rate,
            achieved_rate=achieved,
            seconds=args.seconds,
            p50_ms=harness.percentile(delays, 50) * 1000,
            p99_ms=harness.percentile(delays, 99) * 1000,
            max_ms=max(delays) * 1000,
            raw_p50_ms=harness.percentile(raw_delays, 50) * 1000,
            raw_p99_ms=harness.percentile(raw_delays, 99) * 1000,
            batch_size=settings.outbox_batch_size,
            idempotence=idempotence,
            services=where,
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.relay_bench", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="pending rows to drain")
    parser.add_argument("--rate", type=int, default=200, help="changes per second (latency)")
    parser.add_argument("--seconds", type=float, default=15.0, help="latency phase length")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()
    args.rows -= args.rows % 2  # two rows per staged movement
    figures = asyncio.run(run(args))
    table = markdown_table(figures)
    print(table)
    if not args.no_record:
        command = "python -m bench.relay_bench"
        path = harness.append_dated_entry(HEADING, table, command=command, cpus="CPUs")
        print(f"appended to {path}")


if __name__ == "__main__":
    main()
