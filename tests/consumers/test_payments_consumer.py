"""payment.success through the real broker and database: exactly one effect per sale,
whatever is re-delivered, killed, poisoned or briefly unreachable."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from decimal import Decimal

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.engine import create_engine, create_session_factory
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
from tests.consumers.tcp_proxy import PostgresProxy
from tests.services.sales_builders import (
    a_payment,
    a_shop,
    assert_ledger_holds,
    latte_shop,
    quantities,
    sold,
)

Sessions = async_sessionmaker[AsyncSession]


async def test_a_payment_delivered_three_times_changes_stock_once(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    payment = a_payment(shop, [sold(latte, "2")])
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [payment_record(payment)] * 3)

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 3))

    assert await quantities(sessions, shop.product(item)) == (Decimal(8), Decimal(0))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 1
    assert sample(registry, "duplicates", topic=topic) == 2
    await assert_ledger_holds(sessions)


async def _handled(registry: CollectorRegistry, topic: str, count: int) -> bool:
    return handled(registry, topic) >= count


async def test_killed_after_the_database_commit_and_before_the_offset_commit_no_double_effect(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [payment_record(a_payment(shop, [sold(latte, "2")]))])

    async def die(offsets: Mapping[TopicPartition, int]) -> None:
        raise Crash

    crashing = make_runner(settings, sessions, {topic: payments.handle}, metrics, before_commit=die)
    with pytest.raises(Crash):
        await asyncio.wait_for(crashing.run(), 30)
    after_crash = await quantities(sessions, shop.product(item))
    offsets_after_crash = await committed(settings, settings.kafka_consumer_group, topic)
    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 2))

    assert after_crash == (Decimal(8), Decimal(0))
    assert offsets_after_crash == [-1]
    assert await quantities(sessions, shop.product(item)) == (Decimal(8), Decimal(0))
    assert sample(registry, "duplicates", topic=topic) == 1
    assert await committed(settings, settings.kafka_consumer_group, topic) == [1]


async def test_killed_before_the_database_commit_the_payment_is_applied_after_restart(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [payment_record(a_payment(shop, [sold(latte, "2")]))])

    # Hold the stock row, so the consumer's transaction is stuck inside when it is killed.
    async with sessions.begin() as blocker:
        await blocker.execute(
            select(t.stock.c.id).where(t.stock.c.inventory_item_id == item).with_for_update()
        )
        victim = make_runner(settings, sessions, {topic: payments.handle}, metrics)
        task = asyncio.create_task(victim.run())
        await eventually(lambda: _waiting_on_a_lock(sessions))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    after_kill = await quantities(sessions, shop.product(item))
    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 1))

    assert after_kill == (Decimal(10), Decimal(0))
    assert await quantities(sessions, shop.product(item)) == (Decimal(8), Decimal(0))
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


async def test_a_poison_message_between_two_good_ones_is_dead_lettered_and_both_apply(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    poison = Record(b'{"eventType": "PAYMENT_SUCCESS", "items": "none"}', key=b"order-7")
    first, second = (payment_record(a_payment(shop, [sold(latte, q)])) for q in ("1", "2"))
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [first, poison, second])

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 3))
        letters = await read_topic(settings, f"{topic}.dlq", expect=1)

    assert await quantities(sessions, shop.product(item)) == (Decimal(7), Decimal(0))
    [letter] = letters
    assert (letter.key, letter.value) == (poison.key, poison.value)
    headers = dict(letter.headers)
    assert headers[dead_letters.REASON] == b"schema-violation"
    assert b"'eventId' is a required property" in headers[dead_letters.DETAIL]
    assert headers[dead_letters.SOURCE_OFFSET] == b"1"
    assert await committed(settings, settings.kafka_consumer_group, topic) == [3]


async def test_every_kind_of_poison_payment_is_dead_lettered_with_its_reason(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    other_shop = await a_shop(sessions)
    elsewhere = a_payment(shop, [sold(latte, "1")], location_id=other_shop.location_id)
    too_precise = json.loads(payment_record(a_payment(shop, [sold(latte, "1")])).value or b"")
    too_precise["items"][0]["quantity"] = "0.0000001"
    topic = await new_topic(settings, "payments")
    await produce(
        settings,
        topic,
        [
            Record(b"\xff\xfe not json"),
            Record(json.dumps(too_precise).encode()),
            payment_record(elsewhere),
        ],
    )

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        letters = await read_topic(settings, f"{topic}.dlq", expect=3)

    assert [dict(r.headers)[dead_letters.REASON] for r in letters] == [
        b"invalid-json",
        b"invalid-value",
        b"domain-error",
    ]
    assert dict(letters[2].headers)[dead_letters.DETAIL].startswith(b"NOT_FOUND locationId")
    assert await quantities(sessions, shop.product(item)) == (Decimal(10), Decimal(0))


async def test_the_database_down_for_seconds_delays_consumption_and_loses_nothing(
    settings: Settings,
    sessions: Sessions,
    database_url: str,
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
) -> None:
    shop, item, latte, _ = await latte_shop(sessions)
    topic = await new_topic(settings, "payments")
    proxy = PostgresProxy(database_url)
    await proxy.start()
    engine = create_engine(proxy.url, pool_size=4, application_name="inventory-consumer-test")
    try:
        runner = make_runner(
            settings, create_session_factory(engine), {topic: payments.handle}, metrics
        )
        async with running(runner):
            await produce(settings, topic, [payment_record(a_payment(shop, [sold(latte, "1")]))])
            await eventually(lambda: _handled(registry, topic, 1))
            await proxy.stop()
            await produce(
                settings,
                topic,
                [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(3)],
            )
            await eventually(lambda: _retried(registry, topic, 5))
            during_outage = await quantities(sessions, shop.product(item))
            await asyncio.sleep(1)
            await proxy.start()
            await eventually(lambda: _handled(registry, topic, 4))
    finally:
        await proxy.stop()
        await engine.dispose()

    assert during_outage == (Decimal(9), Decimal(0))
    assert await quantities(sessions, shop.product(item)) == (Decimal(6), Decimal(0))
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 4
    assert sample(registry, "dead_lettered", topic=topic, reason="handler-error") == 0
    await assert_ledger_holds(sessions)


async def _retried(registry: CollectorRegistry, topic: str, count: int) -> bool:
    return sample(registry, "retries", topic=topic, failure="transient") >= count


async def test_two_instances_in_one_group_share_partitions_and_apply_every_event_once(
    settings: Settings, sessions: Sessions
) -> None:
    shop, item, latte, _ = await latte_shop(sessions, on_hand="100")
    topic = await new_topic(settings, "payments", partitions=4)
    registries = [CollectorRegistry(), CollectorRegistry()]
    first, second = (
        make_runner(settings, sessions, {topic: payments.handle}, ConsumerMetrics.create(r))
        for r in registries
    )

    async with running(first), running(second):
        await eventually(lambda: _shared(first.assignment, second.assignment), within=30)
        sales = [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(40)]
        await produce(settings, topic, sales)
        await eventually(lambda: _handled_by_all(registries, topic, 40), within=30)

    applied = [sample(r, "messages_processed", topic=topic, outcome="applied") for r in registries]
    assert sum(applied) == 40
    assert min(applied) > 0
    assert await quantities(sessions, shop.product(item)) == (Decimal(60), Decimal(0))
    async with sessions() as session:
        movements = await session.execute(
            select(func.count()).where(t.stock_movement.c.type == "SALE")
        )
    assert movements.scalar_one() == 40


async def _shared(a: frozenset[TopicPartition], b: frozenset[TopicPartition]) -> bool:
    return len(a) == 2 and len(b) == 2 and not a & b


async def _handled_by_all(registries: list[CollectorRegistry], topic: str, count: int) -> bool:
    return sum(handled(r, topic) for r in registries) >= count
