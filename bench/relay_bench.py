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
import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.models import Location, Material
from app.domain.enums import MovementType, ReferenceType
from app.embedded import EmbeddedBroker, EmbeddedPostgres
from app.kafka.client import create_producer
from app.outbox.claims import ClaimedEvent
from app.outbox.publisher import headers
from app.outbox.relay import OutboxRelay
from app.outbox.runner import build_relay
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.settings import Settings, to_asyncpg_url
from bench.relay_latency import RELAY_PRODUCER, ceiling_latency, relay_latency
from bench.relay_report import Figures, append_results, markdown_table, percentile

MATERIALS = 200


@contextlib.asynccontextmanager
async def services() -> AsyncIterator[tuple[str, str, str]]:
    """(database URL, bootstrap servers, description), each configured or embedded."""
    embedded_pg = broker = None
    configured_db = os.environ.get("DATABASE_URL")
    if configured_db:
        server_url = to_asyncpg_url(configured_db)
    else:
        embedded_pg = EmbeddedPostgres(Path(tempfile.mkdtemp()) / "pg", database="postgres")
        server_url = await asyncio.to_thread(embedded_pg.start)
    name = f"inventory_bench_{uuid.uuid4().hex[:8]}"
    head, sep, query = server_url.partition("?")
    url = f"{head.rsplit('/', 1)[0]}/{name}{sep}{query}"
    try:
        await _admin(server_url, f'CREATE DATABASE "{name}"')
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            broker = EmbeddedBroker()
            bootstrap = broker.start()
        where = (
            f"{'external' if configured_db else 'embedded'} PostgreSQL, "
            f"{'external broker' if broker is None else 'embedded tansu (memory storage)'}"
        )
        await asyncio.to_thread(upgrade_to_head, url)
        yield url, bootstrap, where
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if broker is not None:
            broker.stop()
        if embedded_pg is not None:
            await asyncio.to_thread(embedded_pg.stop)


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


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
    async with services() as (url, bootstrap, where):
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
            p50_ms=percentile(delays, 50) * 1000,
            p99_ms=percentile(delays, 99) * 1000,
            max_ms=max(delays) * 1000,
            raw_p50_ms=percentile(raw_delays, 50) * 1000,
            raw_p99_ms=percentile(raw_delays, 99) * 1000,
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
        path = append_results(table, Path(__file__).with_name("RESULTS.md"))
        print(f"appended to {path}")


if __name__ == "__main__":
    main()
