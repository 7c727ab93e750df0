"""payment.success applied a partition's run at a time: each payment's effect exactly
once, whatever the run mixes (duplicates, re-deliveries, poison), wherever it is cut
short, and whichever partitions' runs meet on the same stocks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from decimal import Decimal

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.services.sales import apply_payment
from app.settings import Settings
from consumers import dead_letters, payments
from consumers.metrics import ConsumerMetrics
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import (
    Crash,
    Record,
    committed,
    eventually,
    handled,
    make_runner,
    new_topic,
    produce,
    read_topic,
    running,
    sample,
)
from tests.services.sales_builders import (
    a_payment,
    a_shop,
    assert_ledger_holds,
    latte_shop,
    quantities,
    sold,
)

Sessions = async_sessionmaker[AsyncSession]


async def _handled(registry: CollectorRegistry, topic: str, count: int) -> bool:
    return handled(registry, topic) >= count


def _batches(registry: CollectorRegistry, topic: str) -> tuple[float, float]:
    """(batch transactions, messages in them)."""
    labels = {"topic": topic}
    count = registry.get_sample_value("inventory_consumer_batch_messages_count", labels)
    total = registry.get_sample_value("inventory_consumer_batch_messages_sum", labels)
    return count or 0.0, total or 0.0


async def test_a_run_with_a_duplicate_a_redelivery_and_poison_applies_each_good_payment_once(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, milk = await latte_shop(sessions, on_hand="100")
    earlier = a_payment(shop, [sold(latte, "1")])
    await apply_payment(sessions, earlier, actor_label=payments.ACTOR_LABEL)
    first, second = (a_payment(shop, [sold(latte, q)]) for q in ("2", "3"))
    poison = Record(b'{"eventType": "PAYMENT_SUCCESS", "items": "none"}', key=b"order-7")
    topic = await new_topic(settings, "payments")
    run = [first, earlier, second, first]
    await produce(settings, topic, [*map(payment_record, run[:3]), poison, payment_record(first)])

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 5))
        letters = await read_topic(settings, f"{topic}.dlq", expect=1)

    # 100 - 1 (earlier) - 2 - 3; milk reserved for 1 + 2 + 3 lattes.
    assert await quantities(sessions, shop.product(item)) == (Decimal(94), Decimal(0))
    assert await quantities(sessions, shop.material(milk)) == (Decimal(100000), Decimal(1200))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 2
    assert sample(registry, "duplicates", topic=topic) == 2
    [letter] = letters
    assert (letter.key, letter.value) == (poison.key, poison.value)
    assert dict(letter.headers)[dead_letters.REASON] == b"schema-violation"
    assert dict(letter.headers)[dead_letters.SOURCE_OFFSET] == b"3"
    # One transaction for the four good payments, as fetched together.
    assert _batches(registry, topic) == (1, 4)
    assert await committed(settings, settings.kafka_consumer_group, topic) == [5]
    await assert_ledger_holds(sessions)


async def test_a_domain_error_in_a_run_dead_letters_that_payment_alone_and_applies_the_rest(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions, on_hand="100")
    earlier = a_payment(shop, [sold(latte, "1")])
    await apply_payment(sessions, earlier, actor_label=payments.ACTOR_LABEL)
    elsewhere = a_payment(
        shop, [sold(latte, "5")], location_id=(await a_shop(sessions)).location_id
    )
    good = a_payment(shop, [sold(latte, "2")])
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [payment_record(p) for p in (good, elsewhere, earlier, good)])

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 4))
        letters = await read_topic(settings, f"{topic}.dlq", expect=1)

    assert await quantities(sessions, shop.product(item)) == (Decimal(97), Decimal(0))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 1
    assert sample(registry, "duplicates", topic=topic) == 2
    [letter] = letters
    assert dict(letter.headers)[dead_letters.REASON] == b"domain-error"
    assert dict(letter.headers)[dead_letters.DETAIL].startswith(b"NOT_FOUND locationId")
    assert dict(letter.headers)[dead_letters.SOURCE_OFFSET] == b"1"
    assert await committed(settings, settings.kafka_consumer_group, topic) == [4]
    await assert_ledger_holds(sessions)


async def test_a_run_killed_before_the_database_commit_is_fully_applied_after_restart(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, milk = await latte_shop(sessions, on_hand="100")
    topic = await new_topic(settings, "payments")
    await produce(
        settings, topic, [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(5)]
    )

    # Hold the milk, so the run's transaction is stuck inside when it is killed.
    async with sessions.begin() as blocker:
        await blocker.execute(
            select(t.stock.c.id).where(t.stock.c.material_id == milk).with_for_update()
        )
        victim = make_runner(settings, sessions, {topic: payments.handle}, metrics)
        task = asyncio.create_task(victim.run())
        await eventually(lambda: _waiting_on_a_lock(sessions))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    after_kill = await quantities(sessions, shop.product(item))
    offsets_after_kill = await committed(settings, settings.kafka_consumer_group, topic)
    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 5))

    assert after_kill == (Decimal(100), Decimal(0))
    assert offsets_after_kill == [-1]
    assert await quantities(sessions, shop.product(item)) == (Decimal(95), Decimal(0))
    assert await quantities(sessions, shop.material(milk)) == (Decimal(100000), Decimal(1000))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 5
    assert sample(registry, "duplicates", topic=topic) == 0
    await assert_ledger_holds(sessions)


async def _waiting_on_a_lock(sessions: Sessions) -> bool:
    async with sessions() as session:
        waiting = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
        return bool(waiting.scalar_one())


async def test_a_run_killed_after_the_database_commit_has_no_double_effect_after_restart(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, milk = await latte_shop(sessions, on_hand="100")
    topic = await new_topic(settings, "payments")
    await produce(
        settings, topic, [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(5)]
    )

    async def die(offsets: Mapping[TopicPartition, int]) -> None:
        raise Crash

    crashing = make_runner(settings, sessions, {topic: payments.handle}, metrics, before_commit=die)
    with pytest.raises(Crash):
        await asyncio.wait_for(crashing.run(), 30)
    after_crash = await quantities(sessions, shop.product(item))
    offsets_after_crash = await committed(settings, settings.kafka_consumer_group, topic)
    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 10))

    assert after_crash == (Decimal(95), Decimal(0))
    assert offsets_after_crash == [-1]
    assert await quantities(sessions, shop.product(item)) == (Decimal(95), Decimal(0))
    assert await quantities(sessions, shop.material(milk)) == (Decimal(100000), Decimal(1000))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 5
    assert sample(registry, "duplicates", topic=topic) == 5
    assert await committed(settings, settings.kafka_consumer_group, topic) == [5]
    await assert_ledger_holds(sessions)


async def test_runs_of_four_partitions_on_the_same_stocks_converge_to_the_right_totals(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shops = [await latte_shop(sessions, on_hand="1000") for _ in range(2)]
    # Both shops' stocks in every partition's runs: they lock the same rows, and would
    # deadlock unless every run locked them in one order.
    sales = [
        payment_record(
            a_payment(shops[n // 4 % 2][0], [sold(shops[n // 4 % 2][2], "1")]), partition=n % 4
        )
        for n in range(120)
    ]
    topic = await new_topic(settings, "payments", partitions=4)
    await produce(settings, topic, sales)

    runner = make_runner(settings, sessions, {topic: payments.handle}, metrics, max_batch=15)
    async with running(runner):
        await eventually(lambda: _handled(registry, topic, 120), within=60)

    for shop, item, _, milk in shops:
        assert await quantities(sessions, shop.product(item)) == (Decimal(940), Decimal(0))
        assert await quantities(sessions, shop.material(milk)) == (
            Decimal(100000),
            Decimal(60 * 200),
        )
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 120
    assert sample(registry, "messages_processed", topic=topic, outcome="dead_lettered") == 0
    assert sample(registry, "retries", topic=topic, failure="transient") == 0  # no deadlock
    assert await committed(settings, settings.kafka_consumer_group, topic, 4) == [30] * 4
    batches, messages = _batches(registry, topic)
    assert messages == 120
    assert batches < 120
    await assert_ledger_holds(sessions)
