"""PostgreSQL restarted twice while `inventory consume` and `inventory relay` work a stream.

A server of this test's own (the session's is shared) is stopped once as a crash
(`pg_ctl stop -m immediate`: recovery from the WAL on start) and once cleanly
(`-m fast`), each time for a few seconds, while payments are consumed and their
stock events relayed. Both processes must ride it out: every sale order applied
exactly once, every outbox row published, the ledger adding up.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import create_engine, create_session_factory
from app.db.migrate import upgrade_to_head
from app.db.queries.ledger import check_ledger
from app.embedded import EmbeddedBroker
from app.kafka.client import ensure_topics
from app.kafka.topics import PAYMENT_SUCCESS, dead_letter_topic
from tests.fixtures.server_dirs import ServerDir
from tests.reliability import sales_stream as sales
from tests.reliability.delivery import delivery, wait_until_sent
from tests.reliability.kafka_io import broker_settings, committed_total, end_offsets, produce_stream
from tests.reliability.postgres_server import RestartablePostgres
from tests.reliability.processes import Processes
from tests.reliability.results import Report

Sessions = async_sessionmaker[AsyncSession]
EVENTS = 1500
SALE_ORDERS = 200
PARTITIONS = 4
DOWN_SECONDS = 4.0
BOUND_SECONDS = 300.0


@pytest.fixture
async def own_postgres(
    server_dir: ServerDir,
) -> AsyncIterator[tuple[RestartablePostgres, Sessions]]:
    server = RestartablePostgres(server_dir("own-pg") / "data")
    url = await asyncio.to_thread(server.start)
    await asyncio.to_thread(upgrade_to_head, url)
    engine = create_engine(url, pool_size=4, application_name="reliability-tests")
    try:
        yield server, create_session_factory(engine)
    finally:
        await engine.dispose()
        await asyncio.to_thread(server.close)


@pytest.mark.timeout(600)
async def test_postgres_restarted_mid_stream_loses_nothing_and_applies_nothing_twice(
    own_postgres: tuple[RestartablePostgres, Sessions],
    stack: Processes,
    own_broker: EmbeddedBroker,
    report: Report,
    tmp_path: Path,
) -> None:
    report.category, report.scenario = "Faults", "PostgreSQL restart during a payment stream"
    server, sessions = own_postgres
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
    env = {
        "DATABASE_URL": server.url,
        "KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap,
        "KAFKA_CONSUMER_GROUP": group,
    }
    consumer = stack.consume("--topics", PAYMENT_SUCCESS, "--partitions", str(PARTITIONS), **env)
    relay = stack.relay("--poll-interval", "0.5", **env)
    await produce_stream(settings, PAYMENT_SUCCESS, sales.records(stream))
    deadline = time.monotonic() + BOUND_SECONDS
    restarts: list[dict[str, object]] = []
    for fraction, mode in ((0.3, "immediate"), (0.6, "fast")):
        applied = await _progress(sessions, cafe, int(SALE_ORDERS * fraction), deadline)
        await asyncio.to_thread(server.restart, mode, DOWN_SECONDS)
        restarts.append({"mode": mode, "orders_applied_before": applied})
    processed = await _committed(own_broker.bootstrap, group, deadline)
    await wait_until_sent(sessions, within=120, alive=[relay])

    seen = await sales.observe(sessions, cafe)
    outcome = sales.tally(want, seen)
    async with sessions() as session:
        ledger = await check_ledger(session)
    published = await delivery(sessions, own_broker.bootstrap, cafe.shop.merchant_id)
    dead_letters = await end_offsets(own_broker.bootstrap, dead_letter_topic(PAYMENT_SUCCESS))
    report.faults = "PostgreSQL stop -m immediate + stop -m fast, 4 s down each"
    report.faults_injected = server.restarts
    report.events_processed = processed
    report.events_lost = outcome.lost + published.lost
    report.duplicates_applied = outcome.duplicated
    report.details.update(
        seed=run_seed,
        restarts=restarts,
        outbox_rows=published.staged,
        outbox_delivered=published.delivered,
        outbox_resent=published.resent,
        dead_letters=dead_letters,
        wrong_stocks=len(outcome.wrong_stocks),
        consumer_retries=consumer.log_count("handling failed, retrying"),
        relay_failed_batches=relay.log_count("outbox relay batch failed"),
    )
    report.notes = (
        f"{SALE_ORDERS} sale orders; {published.delivered}/{published.staged} stock events "
        f"relayed ({published.resent} re-sent, at-least-once)"
    )

    assert server.restarts == 2
    assert consumer.alive, consumer.log()
    assert relay.alive, relay.log()
    assert processed == EVENTS
    assert outcome.lost == 0
    assert outcome.duplicated == 0
    assert outcome.wrong_stocks == {}
    assert ledger.discrepancies == []
    assert published.lost == 0
    assert published.out_of_order_keys == 0
    assert dead_letters == 0
    assert consumer.stop() == 0, consumer.log()
    assert relay.stop() == 0, relay.log()


async def _progress(
    sessions: Sessions, cafe: sales.Catalogue, threshold: int, deadline: float
) -> int:
    while (applied := await sales.orders_applied(sessions, cafe.shop.merchant_id)) < threshold:
        assert time.monotonic() < deadline, f"stuck at {applied} of {threshold} sale orders"
        await asyncio.sleep(0.05)
    return applied


async def _committed(bootstrap: str, group: str, deadline: float) -> int:
    while (total := await committed_total(bootstrap, group, PAYMENT_SUCCESS, PARTITIONS)) < EVENTS:
        assert time.monotonic() < deadline, f"only {total} of {EVENTS} offsets committed"
        await asyncio.sleep(1)
    return total
