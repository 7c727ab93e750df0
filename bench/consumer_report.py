"""The consumer benchmark's figures as markdown, recorded under "## Consumers" in RESULTS.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HEADING = "## Consumers"
TARGET_RATE = 500
TARGET_SHARE = 0.40


@dataclass(frozen=True)
class Figures:
    events: int
    partitions: int
    concurrency: int
    batch: int
    instances: int
    shops: int
    consumer_seconds: float
    ceiling_seconds: float
    produce_seconds: float
    services: str

    @property
    def consumer_rate(self) -> float:
        return self.events / self.consumer_seconds

    @property
    def ceiling_rate(self) -> float:
        return self.events / self.ceiling_seconds

    @property
    def share(self) -> float:
        return self.consumer_rate / self.ceiling_rate


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown_table(f: Figures) -> str:
    return "\n".join(
        [
            "| measure | consumer | ceiling: raw asyncpg, same SQL | target |",
            "|---|---|---|---|",
            f"| {f.events:,} PAYMENT_SUCCESS, first fetch → last offset commit "
            f"| **{f.consumer_rate:,.0f} events/s** ({f.consumer_seconds:.1f} s) "
            f"| {f.ceiling_rate:,.0f} events/s ({f.ceiling_seconds:.1f} s) "
            f"| ≥ {TARGET_RATE} events/s: {_verdict(f.consumer_rate >= TARGET_RATE)} |",
            f"| share of the ceiling | **{f.share:.0%}** | 100% "
            f"| ≥ {TARGET_SHARE:.0%}: {_verdict(f.share >= TARGET_SHARE)} |",
            "",
            f"Each payment: a tracked product and a product with a three-material recipe "
            f"(4 ledger rows, 7 outbox rows), over {f.shops} merchants; "
            f"{f.partitions} partitions, {f.instances} consumer process(es) of concurrency "
            f"{f.concurrency}, up to {f.batch} records "
            "per partition and batch, one transaction per partition's batch, one offset "
            "commit per batch; contract validation on. "
            f"The ceiling uses {f.partitions} connections, the same SQL in transactions of "
            f"up to {f.batch} payments, and no Kafka, ORM or validation. "
            f"Producing took {f.produce_seconds:.1f} s (not counted). {f.services}; "
            "consumer, ceiling and services on the same machine.",
        ]
    )


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs (nproc), {cpu_model()}, load average {load:.2f} at the end"


def append_results(table: str, path: Path) -> Path:
    """Add a dated entry at the end of the "## Consumers" section (creating what is missing)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    entry = f"### {stamp} — {machine()}\n\nCommand: `python -m bench.consumer_bench`\n\n{table}\n"
    existing = path.read_text() if path.exists() else "# Benchmark results\n"
    if HEADING not in existing:
        path.write_text(existing.rstrip("\n") + f"\n\n{HEADING}\n\n{entry}")
        return path
    start = existing.index(HEADING) + len(HEADING)
    following = existing.find("\n## ", start)
    end = len(existing) if following == -1 else following + 1
    section = existing[:end].rstrip("\n") + f"\n\n{entry}"
    rest = existing[end:]
    path.write_text(section + ("\n" + rest if rest else ""))
    return path
