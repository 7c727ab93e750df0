"""Per-payment CPU and round trips of the payment consumer's parts, in process.

    python -m bench.consumer_profile [--payments 400] [--batch 100] [--profile out.html]

Seeds shops like the consumer benchmark, then times, for fresh payments, the decoding
(JSON, contract validation, dataclasses) and `apply_payments` in batches of `--batch`
(1: `apply_payment`, one transaction each) separately: wall time, this process's CPU
time (PostgreSQL runs in its own processes, so CPU time is the Python cost of the
service path) and round trips to PostgreSQL (calls on the asyncpg connections). With
`--profile`, the apply phase runs under pyinstrument (installed by hand: a development
tool, not a dependency) and the HTML report is written. DATABASE_URL is used when
set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.domain.sale import PaymentSucceeded
from app.embedded import EmbeddedPostgres
from app.services.sales import apply_payment, apply_payments
from app.settings import to_asyncpg_url
from bench.consumer_bench import payment_events, seed
from consumers import payments


@asynccontextmanager
async def database() -> AsyncIterator[tuple[str, Path | None]]:
    """(url, data directory of the embedded server, None for DATABASE_URL's)."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured), None
        return
    data_dir = Path(tempfile.mkdtemp(prefix="consumer-profile-"))
    os.chmod(data_dir, 0o755)  # the embedded server runs as its own user
    server = EmbeddedPostgres(data_dir / "pg", database="bench")
    url = await asyncio.to_thread(server.start)
    try:
        yield url, data_dir / "pg"
    finally:
        await asyncio.to_thread(server.stop)


def postgres_cpu(data_dir: Path | None) -> float | None:
    """CPU seconds of the embedded server's processes so far (postmaster and children)."""
    if data_dir is None:
        return None
    import psutil

    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    server = psutil.Process(pid)
    total = 0.0
    for process in [server, *server.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


class _RoundTrips:
    """Counts the calls on asyncpg connections: each is one round trip."""

    METHODS = ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare")

    def __init__(self) -> None:
        import asyncpg

        self.count = 0
        for name in self.METHODS:
            original = getattr(asyncpg.Connection, name)
            setattr(asyncpg.Connection, name, self._counted(original))

    def _counted(self, method: Any) -> Any:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await method(*args, **kwargs)

        return counted


class _Clock:
    """Wall time, and this process's user and system CPU time, since it was made."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.times = os.times()

    def report(self, label: str, count: int, trips: int | None = None) -> None:
        wall = time.perf_counter() - self.wall
        now = os.times()
        user, system = now.user - self.times.user, now.system - self.times.system
        print(
            f"{label:<14} {count} payments, per payment: {wall / count * 1000:6.2f} ms wall, "
            f"{(user + system) / count * 1000:6.2f} ms CPU "
            f"({user / count * 1000:.2f} user + {system / count * 1000:.2f} system)"
            + ("" if trips is None else f", {trips / count:.2f} round trips"),
            flush=True,
        )


async def run(args: argparse.Namespace) -> None:
    async with database() as (url, data_dir):
        await asyncio.to_thread(upgrade_to_head, url)
        engine = create_engine(url, pool_size=2)
        sessions = create_session_factory(engine)
        try:
            shops = await seed(sessions, args.shops)
            raw = [
                v for _, v in payment_events(shops, args.warmup + args.payments, random.Random(7))
            ]

            def decode_all(values: list[bytes]) -> list[PaymentSucceeded]:
                return [payments.decode_payment(v) for v in values]

            decode_all(raw[: args.warmup])
            clock = _Clock()
            decoded = decode_all(raw)
            clock.report("decode", len(raw))

            async def apply_all(batch: list[PaymentSucceeded]) -> None:
                if args.batch == 1:
                    for payment in batch:
                        await apply_payment(sessions, payment)
                    return
                for start in range(0, len(batch), args.batch):
                    await apply_payments(sessions, batch[start : start + args.batch])

            trips = _RoundTrips()
            await apply_all(decoded[: args.warmup])
            measured = decoded[args.warmup :]
            profiler = None
            if args.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005, async_mode="enabled")
                profiler.start()
            clock = _Clock()
            trips.count = 0
            pg_before = postgres_cpu(data_dir)
            await apply_all(measured)
            counted = trips.count
            pg_after = postgres_cpu(data_dir)
            if profiler is not None:
                profiler.stop()
                await asyncio.to_thread(Path(args.profile).write_text, profiler.output_html())
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            clock.report(f"apply x{args.batch}", len(measured), counted)
            if pg_before is not None and pg_after is not None:
                print(
                    f"{'PostgreSQL':<14} {(pg_after - pg_before) / len(measured) * 1000:6.2f} ms "
                    "CPU per payment (the embedded server's processes)",
                    flush=True,
                )
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.consumer_profile", description=__doc__)
    parser.add_argument("--payments", type=int, default=400, help="timed payments (default 400)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed payments first")
    parser.add_argument(
        "--batch", type=int, default=100, help="payments per transaction (default 100)"
    )
    parser.add_argument("--shops", type=int, default=64, help="merchants the sales spread over")
    parser.add_argument("--profile", help="write a pyinstrument HTML report of the apply phase")
    print(f"load average before: {os.getloadavg()}", flush=True)
    asyncio.run(run(parser.parse_args()))
    print(f"load average after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
