"""The relay benchmark's figures as a markdown table, recorded in bench/RESULTS.md."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

HEADING = "## Outbox relay"


@dataclass(frozen=True)
class Figures:
    rows: int
    relay_events_per_s: float
    ceiling_events_per_s: float
    rate: int
    achieved_rate: float
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    raw_p50_ms: float
    raw_p99_ms: float
    batch_size: int
    idempotence: bool
    services: str


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs, {cpu_model()}, load average {load:.2f} at the end"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown_table(f: Figures) -> str:
    events_rate = 2 * f.rate
    return "\n".join(
        [
            "| measure | relay | ceiling: raw aiokafka producer | target |",
            "|---|---|---|---|",
            f"| throughput, {f.rows:,} pending events → acknowledged and marked sent "
            f"| **{f.relay_events_per_s:,.0f} events/s** "
            f"| {f.ceiling_events_per_s:,.0f} events/s (same payloads, keys, headers) "
            f"| ≥ 2,000 events/s: {_verdict(f.relay_events_per_s >= 2000)} |",
            f"| commit → broker ack at {f.rate} changes/s ({events_rate} events/s, "
            f"{f.seconds:g} s; achieved {f.achieved_rate:.0f} changes/s) "
            f"| p50 {f.p50_ms:.1f} ms, **p99 {f.p99_ms:.1f} ms**, max {f.max_ms:.1f} ms "
            f"| send → ack at {events_rate} events/s: p50 {f.raw_p50_ms:.1f} ms, "
            f"p99 {f.raw_p99_ms:.1f} ms "
            f"| p99 < 100 ms: {_verdict(f.p99_ms < 100)} |",
            "",
            f"Batch size {f.batch_size}; acks=all; idempotent producer "
            f"{'on' if f.idempotence else 'off'}; {f.services}; relay, benchmark and services "
            "on the same machine (the writer of the latency phase is a separate process).",
        ]
    )


def append_results(table: str, path: Path) -> Path:
    """Add a dated entry at the end of the "## Outbox relay" section (creating what is missing)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    entry = f"### {stamp} — {machine()}\n\nCommand: `python -m bench.relay_bench`\n\n{table}\n"
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
