"""A commit refused because the group moved on: no crash loop, no second effect."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import RecipeOwner
from app.settings import Settings
from consumers import payments
from consumers.messages import InboundMessage, Outcome
from consumers.metrics import ConsumerMetrics
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import (
    FAST_GROUP,
    committed,
    eventually,
    handled,
    make_runner,
    new_topic,
    produce,
    running,
    sample,
)
from tests.services.sales_builders import (
    a_material,
    a_payment,
    a_shop,
    an_item,
    assert_ledger_holds,
    quantities,
    set_recipe,
    sold,
)

Sessions = async_sessionmaker[AsyncSession]


async def test_a_commit_refused_after_the_group_rebalanced_is_survived_without_double_effect(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "10000", unit="ml")
    item, latte = await an_item(sessions, shop, tracked=True, on_hand="10")
    await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, latte, {milk: "200"})
    topic = await new_topic(settings, "payments")
    await produce(
        settings, topic, [payment_record(a_payment(shop, [sold(latte, "1")])) for _ in range(3)]
    )
    calls: list[uuid.UUID | None] = []

    async def slow_the_first_time(sessions: Sessions, message: InboundMessage) -> Outcome:
        calls.append(None)
        outcome = await payments.handle(sessions, message)
        if len(calls) == 1:
            # Longer than max_poll_interval: the member is dropped from the group while
            # its transaction is already committed, so its offset commit will be refused.
            await asyncio.sleep(2.5)
        return outcome

    runner = make_runner(
        settings,
        sessions,
        {topic: slow_the_first_time},
        metrics,
        consumer_options={**FAST_GROUP, "max_poll_interval_ms": 1000},
    )
    async with running(runner) as task:
        await eventually(lambda: _redelivered(registry, topic), within=30)
        await eventually(lambda: _committed_all(settings, topic), within=30)
        assert not task.done()

    assert sample(registry, "commit_failures") >= 1
    assert sample(registry, "duplicates", topic=topic) >= 1
    assert await quantities(sessions, shop.product(item)) == (Decimal(7), Decimal(0))
    assert await quantities(sessions, shop.material(milk)) == (Decimal(10000), Decimal(600))
    await assert_ledger_holds(sessions)


async def _redelivered(registry: CollectorRegistry, topic: str) -> bool:
    return handled(registry, topic) > 3


async def _committed_all(settings: Settings, topic: str) -> bool:
    return await committed(settings, settings.kafka_consumer_group, topic) == [3]
