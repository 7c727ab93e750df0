"""kill -9 of `inventory consume` at random points of a 5,000-event payment stream.

The stream is a few hundred paid sale orders of a café (tracked products and
recipe items, modifiers with recipes), each published once and then re-sent at
random, as sale's at-least-once publishing does. While it is produced and
consumed, the consumer process is killed with SIGKILL five times, at random
points of its progress, and restarted each time. At the end every stock must
equal what applying each sale order exactly once gives (computed from the events
alone), the ledger invariant must hold, every offset must be committed and
nothing may be dead-lettered.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.queries.ledger import check_ledger
from app.embedded import EmbeddedBroker
from app.kafka.client import ensure_topics
from app.kafka.topics import PAYMENT_SUCCESS, dead_letter_topic
from tests.reliability import sales_stream as sales
from tests.reliability.kafka_io import (
    broker_settings,
    committed_total,
    end_offsets,
    produce_stream,
)
from tests.reliability.processes import Processes, ServiceProcess
from tests.reliability.results import Report

Sessions = async_sessionmaker[AsyncSession]
EVENTS = 5000
SALE_ORDERS = 400
KILLS = 5
PARTITIONS = 4
STREAM_SECONDS = 600.0  # a bound, not an expectation


@pytest.mark.timeout(900)
async def test_consumer_killed_five_times_mid_stream_applies_each_sale_exactly_once(
    sessions: Sessions, stack: Processes, own_broker: EmbeddedBroker, report: Report
) -> None:
    report.category, report.scenario = "Faults", "consumer kill -9 during a payment stream"
    rng = random.Random(run_seed := sales.run_seed())
    cafe = await sales.open_cafe(sessions, rng)
    orders = sales.sale_orders(cafe, SALE_ORDERS, rng)
    stream = sales.with_resends(orders, EVENTS, rng)
    want = sales.expected(cafe, orders)
    settings = broker_settings(own_broker.bootstrap)
    await ensure_topics(
        settings, [PAYMENT_SUCCESS, dead_letter_topic(PAYMENT_SUCCESS)], partitions=PARTITIONS
    )
    group = f"reliability-{uuid.uuid4().hex[:8]}"
    env = {"KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap, "KAFKA_CONSUMER_GROUP": group}
    args = ("--topics", PAYMENT_SUCCESS, "--partitions", str(PARTITIONS))
    # Kill points: random fractions of the sale orders applied, one per sixth of the stream.
    kill_at = sorted(int(SALE_ORDERS * rng.uniform(k / 6, (k + 0.8) / 6)) for k in range(KILLS))
    report.details.update(seed=run_seed, kill_at_orders_applied=kill_at)

    producing = asyncio.create_task(
        produce_stream(settings, PAYMENT_SUCCESS, sales.records(stream), chunk=100, pause=0.2)
    )
    consumer = stack.consume(*args, **env)
    kills: list[dict[str, float]] = []
    started = time.monotonic()
    deadline = time.monotonic() + STREAM_SECONDS
    for threshold in kill_at:
        applied = await _wait_for_progress(sessions, cafe, threshold, consumer, deadline)
        await asyncio.sleep(rng.uniform(0, 0.3))  # land anywhere in the batch in flight
        consumer.kill9()
        consumer = stack.consume(*args, **env)
        # The killed member holds its partitions until its session times out.
        back_after = await asyncio.to_thread(consumer.wait_for_log, "partitions assigned")
        kills.append({"orders_applied": applied, "back_after_seconds": round(back_after, 1)})
    assert await producing == EVENTS
    processed = await _wait_until_committed(own_broker.bootstrap, group, consumer, deadline)
    exit_code = consumer.stop()

    seen = await sales.observe(sessions, cafe)
    outcome = sales.tally(want, seen)
    async with sessions() as session:
        ledger = await check_ledger(session, merchant_id=cafe.shop.merchant_id)
    dead_letters = await end_offsets(own_broker.bootstrap, dead_letter_topic(PAYMENT_SUCCESS))
    report.faults, report.faults_injected = f"consumer SIGKILL x{len(kills)}", len(kills)
    report.events_processed = processed
    report.events_lost = outcome.lost
    report.duplicates_applied = outcome.duplicated
    report.details.update(
        sale_orders=SALE_ORDERS,
        stocks_checked=ledger.stocks_checked,
        wrong_stocks=len(outcome.wrong_stocks),
        dead_letters=dead_letters,
        kills=kills,
        stream_seconds=round(time.monotonic() - started, 1),
    )
    report.notes = (
        f"{SALE_ORDERS} sale orders, {EVENTS - SALE_ORDERS} re-sends; "
        f"{ledger.stocks_checked} stocks equal the expected totals"
    )

    assert len(kills) == KILLS
    assert processed == EVENTS
    assert exit_code == 0, consumer.log()
    assert outcome.lost == 0
    assert outcome.duplicated == 0
    assert outcome.wrong_stocks == {}
    assert ledger.discrepancies == []
    assert dead_letters == 0


async def _wait_for_progress(
    sessions: Sessions,
    cafe: sales.Catalogue,
    threshold: int,
    consumer: ServiceProcess,
    deadline: float,
) -> int:
    while True:
        applied = await sales.orders_applied(sessions, cafe.shop.merchant_id)
        if applied >= threshold:
            return applied
        assert consumer.alive, consumer.log()
        assert time.monotonic() < deadline, f"stuck at {applied} of {threshold} sale orders"
        await asyncio.sleep(0.05)


async def _wait_until_committed(
    bootstrap: str, group: str, consumer: ServiceProcess, deadline: float
) -> int:
    while True:
        total = await committed_total(bootstrap, group, PAYMENT_SUCCESS, PARTITIONS)
        if total >= EVENTS:
            return total
        assert consumer.alive, consumer.log()
        assert time.monotonic() < deadline, f"only {total} of {EVENTS} offsets committed"
        await asyncio.sleep(1)
