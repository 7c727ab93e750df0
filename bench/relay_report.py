"""The relay benchmark's figures as a markdown table, recorded in bench/RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass

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
