"""The GraphQL reads of bench/counts_bench.py, each beside its ceiling: usageReport and
unmappedSales over the month, and a stock's onHandAt as the stock screen asks for it."""

from __future__ import annotations

import argparse
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models.base import utcnow
from app.db.queries.stock_history import on_hand_at
from app.db.queries.unmapped_sales import unmapped_sales
from app.db.queries.usage import UsageQuery, period_by_stock
from app.domain.ledger_days import split_period
from bench.harness import CpuMeter
from bench.history import History
from graphql_schema.ids import global_id

REPORT = """query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) {
  actualUsageValue theoreticalUsageValue varianceValue wastedValue lines(first: 250) { totalCount nodes {
  opening received transferredIn transferredOut produced adjustedIn returned wasted closing actualUsage
  theoreticalUsage variance unexplained variancePercent unitCost actualUsageValue theoreticalUsageValue
  varianceValue wastedValue } } } }"""  # noqa: E501
UNMAPPED = """query($l: ID!, $f: DateTime!, $t: DateTime!) { unmappedSales(locationId: $l, from: $f, to: $t) {
  productVariantId modifierOptionId quantitySold sales lastSoldAt inventoryItem { id name } } }"""  # noqa: E501
ON_HAND_AT = (
    """query($id: ID!, $at: DateTime!) { stock(id: $id) { id onHand onHandAt(at: $at) } }"""
)


async def timed(call: Any) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


@dataclass
class Reads:
    """The GraphQL reads, each beside its ceiling: wall ms per request, and CPU ms per
    request (this process and the database's backends) over a block of the same."""

    first_report: float = 0.0
    report_lines: int = 0
    report: list[float] = field(default_factory=list)
    aggregate: list[float] = field(default_factory=list)
    unmapped_rows: int = 0
    unmapped: list[float] = field(default_factory=list)
    unmapped_sql: list[float] = field(default_factory=list)
    graphql_on_hand_at: list[float] = field(default_factory=list)
    graphql_probe: list[float] = field(default_factory=list)
    cpu: dict[str, tuple[float, float]] = field(default_factory=dict)


async def graphql_reads(
    execute: Any,
    sessions: async_sessionmaker[AsyncSession],
    history: History,
    args: argparse.Namespace,
    rng: random.Random,
    cpu: CpuMeter,
) -> Reads:
    shape, merchant, location = history.shape, history.shape.merchant_id, history.location_id
    variables = {
        "l": global_id("Location", location),
        "f": shape.start.isoformat(),
        "t": shape.end.isoformat(),
    }
    r = Reads()

    async def run_report() -> None:
        data = await execute(REPORT, variables)
        r.report_lines = data["usageReport"]["lines"]["totalCount"]

    async def scan() -> None:
        # The report's statements alone, on the same read sessions.
        query = UsageQuery(merchant, location, shape.start, shape.end)
        split = split_period(shape.start, shape.end, utcnow())
        async with sessions() as session:
            await period_by_stock(session, query, split)

    async def run_unmapped() -> None:
        r.unmapped_rows = len((await execute(UNMAPPED, variables))["unmappedSales"])

    async def unmapped_alone() -> None:
        async with sessions() as session:
            await unmapped_sales(session, merchant, location, shape.start, shape.end)

    def a_key() -> tuple[uuid.UUID, datetime]:
        at = shape.start + timedelta(seconds=rng.uniform(0, shape.days * 86400))
        return rng.choice(history.stock_ids), at

    async def screen(key: tuple[uuid.UUID, datetime] | None = None) -> None:
        stock_id, at = key or a_key()
        values = {"id": global_id("Stock", stock_id), "at": at.isoformat()}
        assert (await execute(ON_HAND_AT, values))["stock"] is not None

    async def probe(key: tuple[uuid.UUID, datetime] | None = None) -> None:
        async with sessions() as session:
            await on_hand_at(session, merchant, [key or a_key()])

    for n in range(args.reports + 3):
        took, floor = await timed(run_report), await timed(scan)
        if n == 0:  # the first after settling: cold caches, and it writes nothing
            r.first_report = took
        if n >= 3:  # the first few warm the caches
            r.report.append(took)
            r.aggregate.append(floor)
    for n in range(args.reports + 3):
        took, floor = await timed(run_unmapped), await timed(unmapped_alone)
        if n >= 3:
            r.unmapped.append(took)
            r.unmapped_sql.append(floor)
    for _ in range(args.probes):
        key = a_key()
        r.graphql_on_hand_at.append(await timed(partial(screen, key)))
        r.graphql_probe.append(await timed(partial(probe, key)))
    blocks = {
        "report": (run_report, scan, args.reports),
        "unmapped": (run_unmapped, unmapped_alone, args.reports),
        "on_hand_at": (screen, probe, args.probes),
    }
    for name, (call, ceiling, count) in blocks.items():
        r.cpu[name] = (await cpu.per_call(call, count), await cpu.per_call(ceiling, count))
    return r
