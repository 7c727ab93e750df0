"""`python -m bench.migration_0013`: migration 0013 on a 1,000,000-movement ledger while a
writer keeps appending movements, to show what its locks cost the service.

0013 changes the ledger's unique key (see its docstring): the column is a catalogue
change, the new key is built CONCURRENTLY and swapped in by one short ALTER TABLE. A
writer appends one movement per transaction (as a stockAdjust does) before and during
the upgrade; the figures are its latencies in both windows, the longest gap between two
of its commits, and the upgrade's own time. A migration that held the table for the
index build would show a gap as long as the build. Not one of `python -m bench`'s
benchmarks: a check of one migration, run by hand. Starts an embedded PostgreSQL unless
DATABASE_URL names a server (a database of its own is created in it and dropped after).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from itertools import pairwise

import asyncpg
from alembic import command

from app.db.migrate import alembic_config, upgrade_to_head
from bench import harness
from bench.history import HistoryShape, write_history

BEFORE = "0011_purchasing"
_INSERT = """INSERT INTO stock_movement (id, merchant_id, stock_id, location_id, type,
  reference_type, reference_id, delta_on_hand, on_hand_after, reserved_after, occurred_at)
VALUES ($1, $2, $3, $4, 'ADJUSTMENT', 'MANUAL', $5, 1, 0, 0, now())"""


class Writer:
    """Appends movements one transaction each until stopped; keeps (commit time, latency)."""

    def __init__(self, url: str, merchant: uuid.UUID, location: uuid.UUID, stock: uuid.UUID):
        self.url, self.row = url, (merchant, stock, location)
        self.commits: list[tuple[float, float]] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        connection = await asyncpg.connect(self.url)
        merchant, stock, location = self.row
        try:
            while not self.stop.is_set():
                began = time.perf_counter()
                await connection.execute(
                    _INSERT, uuid.uuid4(), merchant, stock, location, f"bench-{uuid.uuid4()}"
                )
                done = time.perf_counter()
                self.commits.append((done, done - began))
                await asyncio.sleep(0.005)
        finally:
            await connection.close()

    def window(self, start: float, end: float) -> str:
        latencies = sorted(lat for at, lat in self.commits if start <= at <= end)
        times = [start] + [at for at, _ in self.commits if start <= at <= end] + [end]
        gap = max(b - a for a, b in pairwise(times))
        if not latencies:
            return f"no write committed; longest gap {gap * 1000:.0f} ms"
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return (
            f"{len(latencies)} writes, p50 {statistics.median(latencies) * 1000:.1f} ms,"
            f" p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms,"
            f" longest gap between commits {gap * 1000:.0f} ms"
        )


async def measure(url: str, movements: int) -> None:
    await asyncio.to_thread(command.upgrade, alembic_config(url), BEFORE)
    plain = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    print(f"writing {movements:,} movements at {BEFORE} ...", flush=True)
    history = await write_history(plain, HistoryShape(movements=movements))
    writer = Writer(plain, history.shape.merchant_id, history.location_id, history.stock_ids[0])
    task = asyncio.create_task(writer.run())
    await asyncio.sleep(5)
    upgrading = time.perf_counter()
    await asyncio.to_thread(upgrade_to_head, url)
    upgraded = time.perf_counter()
    await asyncio.sleep(1)
    writer.stop.set()
    await task
    first = writer.commits[0][0] if writer.commits else upgrading
    print(f"ledger: {movements:,} movements before the upgrade")
    print(f"before the upgrade (5 s): {writer.window(first, upgrading)}")
    print(
        f"during the upgrade ({upgraded - upgrading:.1f} s): {writer.window(upgrading, upgraded)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=1_000_000)
    args = parser.parse_args()
    async with harness.services(fresh_database=True, broker=False) as (database, _, where):
        print(f"on {where}", flush=True)
        await measure(database, args.movements)


if __name__ == "__main__":
    asyncio.run(main())
