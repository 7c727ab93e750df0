"""What every benchmark needs around its measurement: the services it runs against, the
app in a process of its own, its entry in a RESULTS.md section, the machine it ran on,
percentiles and /proc readings, and a development token.

Nothing here is measured; the benchmarks decide what to time.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"


# ---- services: configured, or embedded for the run --------------------------------------


def describe_services(embedded_postgres: bool, embedded_broker: bool) -> str:
    return (
        f"{'embedded' if embedded_postgres else 'external'} PostgreSQL, "
        f"{'embedded tansu (memory storage)' if embedded_broker else 'external broker'}"
    )


@contextlib.asynccontextmanager
async def services(
    *,
    fresh_database: bool = False,
    describe: Callable[[bool, bool], str] = describe_services,
    broker: bool = True,
) -> AsyncIterator[tuple[str, str, str]]:
    """(database URL for asyncpg, bootstrap servers, description): DATABASE_URL and
    KAFKA_BOOTSTRAP_SERVERS when set, else an embedded PostgreSQL and tansu (memory storage).

    With `fresh_database`, the benchmark gets a database of its own, created next to the
    server's and dropped afterwards: for one that reads every row of a table (the outbox),
    which a shared DATABASE_URL would already hold rows of. `describe(embedded PostgreSQL,
    embedded broker)` words the description that the benchmark records. Without `broker`,
    none is started (a benchmark of reads and writes only; the bootstrap is then "").
    """
    from app.embedded import EmbeddedBroker, EmbeddedPostgres
    from app.settings import to_asyncpg_url

    pg = embedded_broker = None
    created: str | None = None
    configured = os.environ.get("DATABASE_URL")
    server = to_asyncpg_url(configured) if configured else ""
    try:
        if not configured:
            data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
            os.chmod(data_dir, 0o755)  # the embedded server runs as its own user
            pg = EmbeddedPostgres(data_dir / "pg", database="bench")
            server = await asyncio.to_thread(pg.start)
        database = server
        if fresh_database:
            created = f"inventory_bench_{uuid.uuid4().hex[:8]}"
            await _admin(server, f'CREATE DATABASE "{created}"')
            head, sep, query = server.partition("?")
            database = f"{head.rsplit('/', 1)[0]}/{created}{sep}{query}"
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        if not bootstrap and broker:
            embedded_broker = EmbeddedBroker()
            bootstrap = await asyncio.to_thread(embedded_broker.start)
        yield database, bootstrap, describe(pg is not None, embedded_broker is not None)
    finally:
        if embedded_broker is not None:
            embedded_broker.stop()
        if created is not None:
            await _admin(server, f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
        if pg is not None:
            await asyncio.to_thread(pg.stop)


async def _admin(url: str, statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


# ---- the app in a process of its own ---------------------------------------------------


def app_environment(
    database: str, bootstrap: str, data_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The app's settings for a benchmark: these services, no idempotent producer, an
    in-memory broadcaster, warnings only in the log."""
    return {
        "DATABASE_URL": database,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
        "DATA_DIR": str(data_dir),
        "BROADCAST_URL": "memory://",
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }


@contextlib.asynccontextmanager
async def app_process(
    command: Sequence[str], env: Mapping[str, str], ready_url: str
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """`command` run in the project root with `env` over this environment, yielded once
    `ready_url` answers; terminated (killed after 20 s) when done."""
    import httpx

    process = subprocess.Popen(list(command), env={**os.environ, **env}, cwd=ROOT)  # noqa: ASYNC220 (starts, no wait)
    try:
        async with httpx.AsyncClient() as client, asyncio.timeout(120):
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    await client.get(ready_url)
                    break
                if process.poll() is not None:
                    raise RuntimeError("the app exited while starting")
                await asyncio.sleep(0.2)
        yield process
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        if process.poll() is None:
            process.kill()


# ---- RESULTS.md ------------------------------------------------------------------------


def utc_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def append_to_section(heading: str, entry: str, *, intro: str = "", path: Path = RESULTS) -> Path:
    """Add `entry` at the end of the `heading` ("## …") section of RESULTS.md; a missing
    file or section is created, the section opening with `intro` when one is given."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}\n" + (f"\n{intro}\n" if intro else "")
    following = text.find("\n## ", text.index(heading) + len(heading))
    end = len(text) if following == -1 else following
    path.write_text(text[:end].rstrip("\n") + "\n\n" + entry + text[end:])
    return path


def append_dated_entry(
    heading: str, body: str, *, command: str, cpus: str = "CPUs (nproc)"
) -> Path:
    """Add `body` at the end of `heading`'s section, under "### <date> — <machine>" and
    the command that measured it."""
    entry = f"### {utc_stamp()} — {machine_brief(cpus)}\n\nCommand: `{command}`\n\n{body}\n"
    return append_to_section(heading, entry)


# ---- the machine -----------------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def machine(load_when: str, note: str = "") -> str:
    """CPUs, their model, Python and the three load averages now (taken `load_when`, e.g.
    "at the end"), followed by `note`."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu_model()}, Python {platform.python_version()}; "
        f"load average {load_when} {load}{note}"
    )


def machine_brief(cpus: str = "CPUs (nproc)") -> str:
    """CPUs, their model and the one-minute load average now, for an entry's heading."""
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} {cpus}, {cpu_model()}, load average {load:.2f} at the end"


# ---- small statistics and /proc --------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; NaN of no values."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1] if ordered else math.nan


def schedstat(pid: int) -> tuple[float, float]:
    """Seconds a process's main thread has run, and has been runnable but waiting for a
    CPU (the machine's other work), so far; NaN where /proc does not say (Linux only)."""
    try:
        ran, waited, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return math.nan, math.nan
    return int(ran) / 1e9, int(waited) / 1e9


class CpuMeter:
    """CPU seconds used so far by this process and by the PostgreSQL backends of the
    bench's database (/proc/<pid>/schedstat, nanoseconds: what ran, whatever the load;
    NaN when the server is not on this machine)."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    @classmethod
    async def connect(cls, dsn: str) -> CpuMeter:
        return cls(await asyncpg.connect(dsn))

    async def close(self) -> None:
        await self._connection.close()

    async def _backends(self) -> list[int]:
        rows = await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [r["pid"] for r in rows]

    async def per_call(self, call: Any, count: int) -> float:
        """CPU ms per call of `call`, over `count` calls in a row."""
        pids = await self._backends()
        client = time.process_time()
        server = {pid: schedstat(pid)[0] for pid in pids}
        for _ in range(count):
            await call()
        client = time.process_time() - client
        used = 0.0
        for pid in set(await self._backends()) | set(pids):
            ran = schedstat(pid)[0]
            used += ran - server.get(pid, 0.0) if ran == ran else 0.0  # NaN: gone or remote
        return (client + used) / count * 1000


# ---- a development token ---------------------------------------------------------------


def dev_token(
    data_dir: Path,
    merchant: uuid.UUID,
    *,
    subject: str = "bench",
    role: str = "owner",
    ttl: timedelta = timedelta(hours=1),
) -> str:
    """A token the app accepts when it runs with DATA_DIR=`data_dir` (its dev signing key)."""
    from app.auth.dev import load_or_create_signing_key
    from app.settings import Settings

    settings = Settings(data_dir=data_dir)
    return load_or_create_signing_key(data_dir).issue_token(
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        subject=subject,
        merchant_id=merchant,
        role=role,
        ttl=ttl,
    )
