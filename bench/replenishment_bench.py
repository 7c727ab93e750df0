"""Reorder suggestions and inventory valuation over generated history (issue 22's targets).

Writes two histories with bench/history.py (the generator issue 21's usage benchmark
uses), then completes what purchasing reads on top of them:

- "cafe": one location, 300 stocks, 1,000,000 movements over 30 days. Every stock gets a
  par level and a reorder point, every item a RECEIVED purchase order line from one of
  five vendors (half of the materials in cases of 12), a third of them an ORDERED line
  (incoming), and every PURCHASE_RECEIPT of the ledger a cost change at its time.
- "warehouse": one location, 2,000 stocks, 1,000,000 movements over 30 days, with a cost
  change at every receipt.

Then times, one request at a time through `schema.execute` (every field of every line):

- `reorderSuggestions(method: USAGE, lookbackDays: 28)` at the cafe — p99 < 300 ms;
- `inventoryValuation(at: <15 days ago>)` of the warehouse — < 500 ms (p99);

each against a ceiling measured in the same run: the same read called on the service's
session without GraphQL, and a `SELECT 1` round trip.

`python -m bench replenishment`; DATABASE_URL to use a server of your own, else an
embedded PostgreSQL. Appends to bench/RESULTS.md.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.identity import build_identity
from app.auth.principal import Principal
from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.queries.valuation import inventory_valuation
from app.domain.reorder import ReorderMethod
from app.services.reorder_suggestions import reorder_suggestions
from app.settings import Settings
from bench import harness
from bench.history import History, HistoryShape, write_history
from graphql_schema.context import Context
from graphql_schema.ids import global_id
from graphql_schema.schema import build_schema

HEADING = "## Reorder suggestions and valuation"
CAFE = uuid.UUID("00000000-0000-7000-8000-0000000000c1")
WAREHOUSE = uuid.UUID("00000000-0000-7000-8000-0000000000c2")
SUGGESTIONS = """query($l: ID!) { reorderSuggestions(locationId: $l, method: USAGE, lookbackDays: 28) {
  stock { id onHand } vendor { id name } available incoming parLevel reorderPoint averageDailyUsage
  daysOfCover suggestedQuantity packUnit suggestedPacks lastUnitCost } }"""  # noqa: E501
VALUATION = """query($l: ID!, $at: DateTime!) { inventoryValuation(locationId: $l, at: $at) {
  at currency totalValue lines(first: 250) { totalCount nodes { stock { id } quantity unitCost value } } } }"""  # noqa: E501

# Vendors, their orders and lines; costs at every receipt of the ledger.
_PURCHASING = """
WITH v AS (
  INSERT INTO vendor (id, merchant_id, name)
  SELECT gen_random_uuid(), $1::uuid, 'Vendor ' || n FROM generate_series(1, 5) AS n
  RETURNING id, name
), vn AS (SELECT id, row_number() OVER (ORDER BY name) AS k FROM v),
orders AS (
  INSERT INTO purchase_order (id, merchant_id, number, status, location_id, vendor_id, currency,
                              received_at, created_at, updated_at)
  SELECT gen_random_uuid(), $1::uuid, 'B-' || vn.k || '-' || s.status, s.status, $2::uuid, vn.id,
         'EUR', CASE WHEN s.status = 'RECEIVED' THEN now() - interval '1 day' END, now(), now()
  FROM vn, (VALUES ('RECEIVED'), ('ORDERED')) AS s(status)
  RETURNING id, vendor_id, status
), items AS (
  SELECT s.item_type, coalesce(s.inventory_item_id, s.material_id) AS item_id,
         s.inventory_item_id, s.material_id, row_number() OVER (ORDER BY s.id) AS k
  FROM stock s WHERE s.merchant_id = $1::uuid AND s.location_id = $2::uuid
)
INSERT INTO purchase_order_line (id, merchant_id, purchase_order_id, position, item_type,
  inventory_item_id, material_id, quantity_ordered, quantity_received, unit_cost, unit,
  entered_quantity_ordered, entered_quantity_received, entered_unit_cost)
SELECT gen_random_uuid(), $1::uuid, o.id, i.k, i.item_type, i.inventory_item_id, i.material_id,
       1200, CASE WHEN o.status = 'RECEIVED' THEN 1200 END, 0.002,
       CASE WHEN i.material_id IS NOT NULL AND i.k % 2 = 0 THEN 'case' END,
       CASE WHEN i.material_id IS NOT NULL AND i.k % 2 = 0 THEN 100 END,
       CASE WHEN i.material_id IS NOT NULL AND i.k % 2 = 0 AND o.status = 'RECEIVED' THEN 100 END,
       CASE WHEN i.material_id IS NOT NULL AND i.k % 2 = 0 THEN 0.024 END
FROM items i JOIN vn ON vn.k = 1 + i.k % 5 JOIN orders o ON o.vendor_id = vn.id
WHERE o.status = 'RECEIVED' OR i.k % 3 = 0;
"""
_CASES = """UPDATE material SET units = jsonb_build_array(jsonb_build_object(
  'name', 'case', 'quantity', '12', 'unit', unit)) WHERE merchant_id = $1"""
_PARS = """UPDATE stock SET par_level = on_hand + 500 + (version % 700),
  reorder_point = on_hand + (version % 900) WHERE merchant_id = $1"""
_COSTS = """
INSERT INTO item_cost_change (id, merchant_id, item_type, item_id, average_unit_cost, changed_at,
                              reference_type, reference_id)
SELECT gen_random_uuid(), m.merchant_id, s.item_type,
       coalesce(s.inventory_item_id, s.material_id), 0.001 + (m.on_hand_after % 97) / 10000.0,
       m.occurred_at, 'POREC', m.reference_id
FROM stock_movement m JOIN stock s ON s.id = m.stock_id
WHERE m.merchant_id = $1 AND m.type = 'PURCHASE_RECEIPT';
"""


@dataclass
class Figures:
    services: str
    written_seconds: float
    suggestions: list[float]
    suggestions_service: list[float]
    suggested: int
    valuation: list[float]
    valuation_service: list[float]
    valued: int
    round_trip: list[float]


async def _timed(call: Any) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def _complete(dsn: str, history: History, purchasing: bool) -> None:
    merchant, location = history.shape.merchant_id, history.location_id
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(_COSTS, merchant)
        if purchasing:
            await connection.execute(_CASES, merchant)
            await connection.execute(_PARS, merchant)
            await connection.execute(_PURCHASING, merchant, location)
        # Bulk-written rows: set the visibility map as autovacuum would, for index-only reads.
        await connection.execute("VACUUM ANALYZE stock_movement")
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def _principal(merchant: uuid.UUID) -> Principal:
    return Principal(
        subject="bench",
        merchant_id=merchant,
        role="owner",
        is_service=False,
        expires_at=datetime.now(UTC) + timedelta(days=1),
    )


async def run(args: argparse.Namespace) -> Figures:
    rng = random.Random(args.seed)
    cafe_shape = HistoryShape(movements=args.movements, merchant_id=CAFE)
    warehouse_shape = HistoryShape(
        stocks=2000, products=300, movements=args.movements, merchant_id=WAREHOUSE
    )
    async with harness.services(fresh_database=True) as (database, _bootstrap, where):
        await asyncio.to_thread(upgrade_to_head, database)
        dsn = database.replace("postgresql+asyncpg://", "postgresql://", 1)
        started = time.perf_counter()
        print("writing the cafe's and the warehouse's histories ...", flush=True)
        cafe = await write_history(dsn, cafe_shape)
        await _complete(dsn, cafe, purchasing=True)
        warehouse = await write_history(dsn, warehouse_shape)
        await _complete(dsn, warehouse, purchasing=False)
        written = time.perf_counter() - started
        print(f"written in {written:.1f} s", flush=True)
        engine = create_engine(database, pool_size=4)
        sessions = create_session_factory(engine)
        figures = Figures(where, written, [], [], 0, [], [], 0, [])
        try:
            with tempfile.TemporaryDirectory() as data_dir:
                settings = Settings(
                    database_url=database, data_dir=Path(data_dir), migrate_on_start=False
                )
                identity = await build_identity(settings)
                schema = build_schema(settings)

                async def execute(query: str, merchant: uuid.UUID, variables: Any) -> Any:
                    context = Context(
                        settings=settings,
                        sessions=sessions,
                        identity=identity,
                        principal=_principal(merchant),
                    )
                    result = await schema.execute(
                        query, variable_values=variables, context_value=context
                    )
                    assert result.errors is None, result.errors
                    return result.data

                cafe_location = {"l": global_id("Location", cafe.location_id)}
                for n in range(args.rounds + 3):

                    async def suggest() -> None:
                        data = await execute(SUGGESTIONS, CAFE, cafe_location)
                        figures.suggested = len(data["reorderSuggestions"])

                    async def suggest_service() -> None:
                        async with sessions() as session:
                            await reorder_suggestions(
                                session,
                                CAFE,
                                cafe.location_id,
                                method=ReorderMethod.USAGE,
                                lookback_days=28,
                                cover_days=7,
                                vendor_id=None,
                                now=datetime.now(UTC),
                            )

                    at = warehouse_shape.end - timedelta(days=rng.uniform(1, 29))
                    variables = {"l": global_id("Location", warehouse.location_id), "at": at}
                    variables["at"] = at.isoformat()

                    async def value(variables: dict[str, Any] = variables) -> None:
                        data = await execute(VALUATION, WAREHOUSE, variables)
                        figures.valued = data["inventoryValuation"]["lines"]["totalCount"]

                    async def value_service(at: datetime = at) -> None:
                        async with sessions() as session:
                            await inventory_valuation(
                                session,
                                WAREHOUSE,
                                location_id=warehouse.location_id,
                                at=at,
                                now=datetime.now(UTC),
                            )

                    async def trip() -> None:
                        async with sessions() as session:
                            await session.execute(text("SELECT 1"))

                    timings = [
                        await _timed(suggest),
                        await _timed(suggest_service),
                        await _timed(value),
                        await _timed(value_service),
                        await _timed(trip),
                    ]
                    if n >= 3:  # the first few warm the caches
                        figures.suggestions.append(timings[0])
                        figures.suggestions_service.append(timings[1])
                        figures.valuation.append(timings[2])
                        figures.valuation_service.append(timings[3])
                        figures.round_trip.append(timings[4])
                await identity.aclose()
        finally:
            await engine.dispose()
    return figures


def report(f: Figures, movements: int) -> str:
    p = harness.percentile

    def row(name: str, values: list[float], target: float, ceiling: list[float]) -> str:
        p99 = p(values, 99)
        met = "met" if p99 < target else "**missed**"
        return (
            f"| {name} ({len(values)}) | p50 {p(values, 50):.1f} ms, **p99 {p99:.1f} ms**, "
            f"max {max(values):.1f} ms; ceiling (the read without GraphQL) p50 "
            f"{p(ceiling, 50):.1f} / p99 {p(ceiling, 99):.1f} ms, ratio p50 "
            f"{p(values, 50) / p(ceiling, 50):.2f} | p99 < {target:g} ms: {met} |"
        )

    machine = harness.machine("at the end", "; shared with other sessions running tests")
    return "\n".join(
        [
            f"### {harness.utc_stamp()}",
            "",
            f"- machine: {machine}",
            f"- data: bench/history.py twice, {movements:,} movements over 30 days each: a cafe "
            "(one location, 300 stocks, pars, five vendors, received and ordered lines, half "
            "of the materials in cases) and a warehouse (one location, 2,000 stocks); a cost "
            f"change at every receipt; written in {f.written_seconds:.1f} s; {f.services}; "
            "one request at a time from this process",
            f"- SELECT 1 round trip on the same sessions: p50 {p(f.round_trip, 50):.2f} ms",
            "",
            "| measure | result | target |",
            "| --- | --- | --- |",
            row(
                f"reorderSuggestions USAGE, 28 days, 300 stocks, {f.suggested} suggested, "
                "schema.execute",
                f.suggestions,
                300,
                f.suggestions_service,
            ),
            row(
                f"inventoryValuation at a random past moment, {f.valued} lines of 2,000 "
                "stocks, schema.execute, first 250",
                f.valuation,
                500,
                f.valuation_service,
            ),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    section = report(asyncio.run(run(args)), args.movements)
    print(section)
    if not args.no_record:
        harness.append_to_section(
            HEADING,
            section,
            intro="Run: `python -m bench replenishment` (see bench/replenishment_bench.py).",
        )


if __name__ == "__main__":
    main()
