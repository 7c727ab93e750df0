"""Counts, stock history and usage over a month of history (issue 21's targets).

Writes a realistic month with bench/history.py (one location, 300 stocks, 1,000,000
movements, 30 days), then times, one request at a time:

- `Stock.onHandAt`: one (stock, moment) probe per request, random stock and moment —
  p99 < 5 ms; raw and on the service's read session (ceiling: a `SELECT 1` round trip
  the same way), and through GraphQL as the stock screen sends it
  (`stock(id) { onHand onHandAt(at) }` via `schema.execute`; ceiling: the probe alone on
  the read session);
- the settling job as the service runs it (`settle_ledger_days`, what the serve
  lifespan's task calls) over the month, then the first `usageReport` after it;
- `usageReport` for the 30 days through `schema.execute` (every column of the first 250
  lines) — p99 < 300 ms; ceiling: the report's SQL alone on the same read sessions;
- `unmappedSales` for the 30 days through `schema.execute` — p99 < 100 ms; ceiling: its
  SQL alone on the read sessions;
- recording 1,000 count entries in one `countSessionRecord`, and applying that
  1,000-line session — each < 1 s (a location of its own with 1,000 stocks).

The GraphQL reads (bench/counts_reads.py) also report CPU per request (this process plus
the database's backends, from /proc), which a shared machine skews far less than wall
time. `python -m bench counts` (or `python bench/counts_bench.py`); DATABASE_URL to use a
server of your own, else an embedded PostgreSQL. Appends to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.identity import build_identity
from app.auth.principal import Principal
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.queries.stock_history import on_hand_at
from app.domain.enums import CountScope
from app.services import count_entries, count_sessions
from app.services.context import Actor
from app.services.ledger_days import settle_ledger_days
from app.services.stock_refs import StockRef
from app.settings import Settings
from bench import harness
from bench.counts_reads import Reads, graphql_reads, timed
from bench.harness import CpuMeter
from bench.history import History, HistoryShape, write_history
from graphql_schema.context import Context
from graphql_schema.schema import build_schema

HEADING = "## Counts, stock history and usage"
COUNT_STOCKS = 1000


@dataclass
class Figures:
    services: str
    history_seconds: float
    movements: int
    on_hand_at: list[float]
    round_trip: list[float]
    raw_on_hand_at: list[float]
    raw_round_trip: list[float]
    probe_plan: str
    settle_seconds: float
    settled_days: int
    reads: Reads
    record: list[float]
    apply: list[float]


def _describe(embedded_postgres: bool, _broker: bool) -> str:
    return f"{'embedded' if embedded_postgres else 'external'} PostgreSQL, no broker"


PROBE = """SELECT on_hand_after FROM stock_movement WHERE merchant_id = $1 AND stock_id = $2
  AND occurred_at < $3 ORDER BY occurred_at DESC, id DESC LIMIT 1"""


async def _probes(
    sessions: async_sessionmaker[AsyncSession],
    dsn: str,
    history: History,
    count: int,
    rng: random.Random,
) -> tuple[list[float], list[float], list[float], list[float], str]:
    """onHandAt probes through the service's read path and raw (a prepared statement),
    each against a SELECT 1 on the same path; and the probe's plan."""
    shape, merchant = history.shape, history.shape.merchant_id
    path: list[float] = []
    path_trip: list[float] = []
    raw: list[float] = []
    raw_trip: list[float] = []
    connection = await asyncpg.connect(dsn)
    try:
        probe = await connection.prepare(PROBE)
        one = await connection.prepare("SELECT 1")
        for _ in range(count):
            key = (
                rng.choice(history.stock_ids),
                shape.start + timedelta(seconds=rng.uniform(0, shape.days * 86400)),
            )

            async def read(key: tuple[uuid.UUID, datetime] = key) -> None:
                async with sessions() as session:
                    await on_hand_at(session, merchant, [key])

            async def trip() -> None:
                async with sessions() as session:
                    await session.execute(text("SELECT 1"))

            async def raw_read(key: tuple[uuid.UUID, datetime] = key) -> None:
                await probe.fetchval(merchant, *key)

            path.append(await timed(read))
            path_trip.append(await timed(trip))
            raw.append(await timed(raw_read))
            raw_trip.append(await timed(one.fetchval))
        explained = await connection.fetch(
            "EXPLAIN (ANALYZE, COSTS OFF) " + PROBE, merchant, history.stock_ids[0], shape.end
        )
        plan = " / ".join(r[0].strip() for r in explained if "Scan" in r[0] or "Heap" in r[0])
    finally:
        await connection.close()
    return path, path_trip, raw, raw_trip, plan


async def _count_location(
    database: str, merchant_id: uuid.UUID
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A location with COUNT_STOCKS material stocks of 100 each (one movement apiece)."""
    connection = await asyncpg.connect(database)
    try:
        location = uuid.uuid4()
        await connection.execute(
            "INSERT INTO location (id, merchant_id, name, is_default, archived)"
            " VALUES ($1, $2, 'Counts', false, false)",
            location,
            merchant_id,
        )
        await connection.execute(
            """WITH m AS (INSERT INTO material (id, merchant_id, name, unit, units, archived)
                 SELECT gen_random_uuid(), $1, 'Counted ' || n, 'g', '[{"name": "bag",
                   "quantity": "500", "unit": "g"}]'::jsonb, false
                 FROM generate_series(1, $3) AS n RETURNING id),
               s AS (INSERT INTO stock (id, merchant_id, location_id, item_type, material_id,
                   on_hand, reserved, version)
                 SELECT gen_random_uuid(), $1, $2, 'MATERIAL', id, 100, 0, 1 FROM m RETURNING id)
             INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type,
               reference_type, reference_id, delta_on_hand, delta_reserved, on_hand_after,
               reserved_after, occurred_at)
             SELECT gen_random_uuid(), $1, id, $2, 'ADJUSTMENT', 'MANUAL', 'seed-' || id, 100, 0,
               100, 0, now() - interval '1 hour' FROM s""",
            merchant_id,
            location,
            COUNT_STOCKS,
        )
        rows = await connection.fetch("SELECT id FROM stock WHERE location_id = $1", location)
    finally:
        await connection.close()
    return location, [r["id"] for r in rows]


async def _counts(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    location: uuid.UUID,
    stocks: list[uuid.UUID],
    rounds: int,
    rng: random.Random,
) -> tuple[list[float], list[float]]:
    record: list[float] = []
    apply: list[float] = []
    for _ in range(rounds):
        session_id = await count_sessions.start_session(
            sessions, actor, count_sessions.CountSessionInput(location, CountScope.PARTIAL)
        )
        entries = [
            # Half in bags of 500 g, half in grams: the conversion is part of the work.
            count_entries.CountEntryInput(
                StockRef(stock_id=s),
                Decimal(rng.randint(0, 4)) if n % 2 else Decimal(rng.randint(0, 2000)),
                area="walk-in",
                unit="bag" if n % 2 else None,
            )
            for n, s in enumerate(stocks)
        ]
        record.append(
            await timed(partial(count_entries.record_entries, sessions, actor, session_id, entries))
        )
        apply.append(
            await timed(partial(count_sessions.apply_session, sessions, actor, session_id))
        )
    return record, apply


async def run(args: argparse.Namespace) -> Figures:
    rng = random.Random(args.seed)
    shape = HistoryShape(movements=args.movements)
    async with harness.services(fresh_database=True, broker=False, describe=_describe) as (
        database,
        _bootstrap,
        where,
    ):
        await asyncio.to_thread(upgrade_to_head, database)
        dsn = database.replace("postgresql+asyncpg://", "postgresql://", 1)
        print(f"writing {shape.movements} movements ...", flush=True)
        started = time.perf_counter()
        history: History = await write_history(dsn, shape)
        history_seconds = time.perf_counter() - started
        print(f"history written in {history_seconds:.1f} s", flush=True)
        engine = create_engine(database, pool_size=4)
        sessions = create_session_factory(engine)
        merchant = shape.merchant_id
        try:
            probes, trips, raw_probes, raw_trips, plan = await _probes(
                sessions, dsn, history, args.probes, rng
            )
            # As the serve lifespan's task does (app/services/ledger_days.py), before any
            # report: a report only reads.
            started = time.perf_counter()
            settled_days = await settle_ledger_days(sessions)
            settle_seconds = time.perf_counter() - started
            print(f"{settled_days} days settled in {settle_seconds:.1f} s", flush=True)
            with tempfile.TemporaryDirectory() as data_dir:
                settings = Settings(
                    database_url=database, data_dir=Path(data_dir), migrate_on_start=False
                )
                identity = await build_identity(settings)
                schema = build_schema(settings)
                principal = Principal(
                    subject="bench",
                    merchant_id=merchant,
                    role="owner",
                    is_service=False,
                    expires_at=shape.end + timedelta(days=365),
                )

                async def execute(document: str, values: dict[str, Any]) -> Any:
                    context = Context(
                        settings=settings, sessions=sessions, identity=identity, principal=principal
                    )
                    result = await schema.execute(
                        document, variable_values=values, context_value=context
                    )
                    assert result.errors is None, result.errors
                    return result.data

                cpu = await CpuMeter.connect(dsn)
                try:
                    reads = await graphql_reads(execute, sessions, history, args, rng, cpu)
                finally:
                    await cpu.close()
                await identity.aclose()
            location, stocks = await _count_location(dsn, merchant)
            record, apply = await _counts(
                sessions, Actor(merchant, "bench"), location, stocks, args.count_rounds, rng
            )
        finally:
            await engine.dispose()
    return Figures(
        where,
        history_seconds,
        shape.movements,
        probes,
        trips,
        raw_probes,
        raw_trips,
        plan,
        settle_seconds,
        settled_days,
        reads,
        record,
        apply,
    )


def report(f: Figures) -> str:
    p, r = harness.percentile, f.reads

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    def row(
        name: str,
        values: list[float],
        target: float | None,
        ceiling: list[float] | None = None,
        cpu: tuple[float, float] | None = None,
    ) -> str:
        p99 = p(values, 99)
        result = f"p50 {p(values, 50):.1f} ms, **p99 {p99:.1f} ms**, max {max(values):.1f} ms"
        if ceiling:
            result += f"; ceiling p50 {p(ceiling, 50):.1f} / p99 {p(ceiling, 99):.1f} ms"
        if cpu:
            result += f"; CPU per request {cpu[0]:.2f} ms, ceiling's {cpu[1]:.2f} ms"
        met = f"p99 < {target:g} ms: {verdict(p99 < target)}" if target else ""
        return f"| {name} ({len(values)}) | {result} | {met} |"

    machine = harness.machine("at the end", "; shared with other sessions running tests")
    return "\n".join(
        [
            f"### {harness.utc_stamp()}",
            "",
            f"- machine: {machine}",
            f"- data: bench/history.py, one location, 300 stocks (250 materials, 50 products), "
            f"{f.movements:,} movements over 30 days (sales dated by their payment, 1 in 211 "
            f"late), 40,000 unmapped sale lines, written in {f.history_seconds:.1f} s; "
            f"{f.services}; one request at a time from this process",
            f"- the probe's plan: {f.probe_plan}",
            f"- the settling job, as the serve lifespan's task runs it: {f.settled_days} settled "
            f"days summed in {f.settle_seconds:.1f} s (once per day and location, off the read "
            f"path); the first usageReport after it: {r.first_report:.0f} ms (it only reads)",
            "- CPU per request: this process plus the database backends (schedstat), over a "
            "block of the same requests right after the timed ones",
            "",
            "| measure | result | target |",
            "| --- | --- | --- |",
            row(
                "onHandAt probe, raw prepared statement (ceiling: SELECT 1)",
                f.raw_on_hand_at,
                5,
                f.raw_round_trip,
            ),
            row(
                "onHandAt via the service's read session (ceiling: SELECT 1 the same way)",
                f.on_hand_at,
                5,
                f.round_trip,
            ),
            row(
                "onHandAt through GraphQL, `stock(id) { id onHand onHandAt(at) }`, "
                "schema.execute (ceiling: the probe alone on the read session)",
                r.graphql_on_hand_at,
                5,
                r.graphql_probe,
                r.cpu.get("on_hand_at"),
            ),
            row(
                f"usageReport 30 days, {r.report_lines} lines, schema.execute, first 250 "
                "(ceiling: its SQL alone, period_by_stock on the read sessions)",
                r.report,
                300,
                r.aggregate,
                r.cpu.get("report"),
            ),
            row(
                f"unmappedSales 30 days, {r.unmapped_rows} rows, schema.execute "
                "(ceiling: its SQL alone on the read sessions)",
                r.unmapped,
                100,
                r.unmapped_sql,
                r.cpu.get("unmapped"),
            ),
            row(f"countSessionRecord, {COUNT_STOCKS} entries (service)", f.record, 1000),
            row(f"countSessionApply, {COUNT_STOCKS} lines (service)", f.apply, 1000),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=500)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--count-rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    section = report(asyncio.run(run(args)))
    print(section)
    if not args.no_record:
        harness.append_to_section(
            HEADING, section, intro="Run: `python -m bench counts` (see bench/counts_bench.py)."
        )


if __name__ == "__main__":
    main()
