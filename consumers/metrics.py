"""Prometheus metrics of the consumers.

The metrics live in a `ConsumerMetrics` bound to a registry: the process uses the
one on prometheus_client's default registry (what /metrics exposes), tests bind
their own to count without interference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_BATCH_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500)


@dataclass(frozen=True)
class ConsumerMetrics:
    processed: Counter
    duplicates: Counter
    dead_lettered: Counter
    retries: Counter
    commit_failures: Counter
    handler_seconds: Histogram
    batch_messages: Histogram
    lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ConsumerMetrics:
        prefix = "inventory_consumer"
        return cls(
            processed=Counter(
                f"{prefix}_messages_processed",
                "Messages handled, by topic and outcome (applied, duplicate, stale, skipped, "
                "dead_lettered).",
                ["topic", "outcome"],
                registry=registry,
            ),
            duplicates=Counter(
                f"{prefix}_duplicates",
                "Re-delivered messages whose effect was already applied.",
                ["topic"],
                registry=registry,
            ),
            dead_lettered=Counter(
                f"{prefix}_dead_lettered",
                "Messages sent to the dead-letter topic, by reason.",
                ["topic", "reason"],
                registry=registry,
            ),
            retries=Counter(
                f"{prefix}_retries",
                "Handler attempts retried after a transient or unexpected failure.",
                ["topic", "failure"],
                registry=registry,
            ),
            commit_failures=Counter(
                f"{prefix}_commit_failures",
                "Offset commits refused because the group rebalanced meanwhile.",
                registry=registry,
            ),
            handler_seconds=Histogram(
                f"{prefix}_handler_seconds",
                "Time to handle one message (decode, transaction, commit), per attempt; for a "
                "message applied in a batch, its batch transaction's time (the latency it saw).",
                ["topic"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            batch_messages=Histogram(
                f"{prefix}_batch_messages",
                "Messages applied in one transaction per partition batch (once per batch, "
                "however often retried).",
                ["topic"],
                buckets=_BATCH_BUCKETS,
                registry=registry,
            ),
            lag=Gauge(
                f"{prefix}_lag",
                "Messages behind the partition's high watermark after the last batch.",
                ["topic", "partition"],
                registry=registry,
            ),
        )


@functools.cache
def default_metrics() -> ConsumerMetrics:
    """The process-wide metrics on the default registry, created on first use."""
    return ConsumerMetrics.create(REGISTRY)
