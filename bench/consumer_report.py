"""The consumer benchmark's figures as markdown, recorded under "## Consumers" in RESULTS.md."""

from __future__ import annotations

from dataclasses import dataclass

HEADING = "## Consumers"
TARGET_RATE = 500
# Issue 20: with recipes in other units and a prep item per drink, at least 55%.
TARGET_SHARE = 0.55


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


def describe_services(embedded_postgres: bool, embedded_broker: bool) -> str:
    return (
        f"PostgreSQL {'embedded' if embedded_postgres else 'from DATABASE_URL'}, "
        f"broker {'tansu (embedded)' if embedded_broker else 'from KAFKA_BOOTSTRAP_SERVERS'}"
    )


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
            "(entered in other units than its materials', one of them a prep item) "
            f"(4 ledger rows, 7 outbox rows), over {f.shops} merchants; "
            f"{f.partitions} partitions, {f.instances} consumer process(es) of concurrency "
            f"{f.concurrency}, up to {f.batch} records "
            "per partition and batch, one transaction per partition's batch, one offset "
            "commit per batch; contract validation on. "
            f"The ceiling uses {f.partitions} connections, the same SQL in transactions of "
            f"up to {f.batch} payments, and no Kafka, ORM or validation. "
            f"Producing took {f.produce_seconds:.1f} s (not counted). {f.services}; "
            "consumer, ceiling and services on the same machine; the machine is shared with "
            "other engineers' work while this ran (see the load average above).",
        ]
    )
