"""Every example message of the contract, through the broker into the database."""

from __future__ import annotations

import uuid
from decimal import Decimal

from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import KitchenEffect
from app.settings import Settings
from consumers.handlers import HANDLERS
from consumers.metrics import ConsumerMetrics
from tests.consumers.examples import all_examples
from tests.consumers.kafka_helpers import (
    OUTCOMES,
    Record,
    eventually,
    handled,
    make_runner,
    new_topic,
    produce,
    running,
    sample,
)
from tests.services.sales_builders import a_shop

Sessions = async_sessionmaker[AsyncSession]
MERCHANT = uuid.UUID("6f1c2a9e-0b7d-4c1e-9a51-3d2f8e7b1a01")
LOCATION = uuid.UUID("7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2911")
VARIANT = uuid.UUID("0b9e4c3a-7d21-4f6e-8a13-5c7d9e2f4b11")


async def test_every_example_message_is_handled_without_a_dead_letter(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    await a_shop(sessions, MERCHANT, LOCATION)  # the sale examples' location
    examples = all_examples()
    test_topics = {name: await new_topic(settings, name.replace(".", "-")) for name in HANDLERS}
    for e in examples:  # in file order: create, with-schema, delete, snapshot, tombstone, update
        await produce(settings, test_topics[e.topic], [Record(e.value, key=e.key)])
    handlers = {test_topics[name]: handler for name, handler in HANDLERS.items()}

    async with running(make_runner(settings, sessions, handlers, metrics)):
        await eventually(lambda: _all_handled(registry, test_topics, len(examples)))

    outcomes = {
        name: {o: sample(registry, "messages_processed", topic=topic, outcome=o) for o in OUTCOMES}
        for name, topic in test_topics.items()
    }
    assert outcomes["payment.success"]["applied"] == 1
    assert outcomes["kitchen-ticket-item.status-changed"]["applied"] == 1
    assert outcomes["nx.seller.public.merchant"]["applied"] == 1
    # create applies; with-schema (same lsn) and snapshot (older) are stale; the delete
    # applies; the tombstone is skipped; the update (older than the delete) is stale.
    assert outcomes["nx.seller.public.product_variant"] == {
        "applied": 2,
        "duplicate": 0,
        "stale": 3,
        "skipped": 1,
        "dead_lettered": 0,
    }
    async with sessions() as session:
        item = (
            await session.execute(
                select(t.inventory_item).where(t.inventory_item.c.product_variant_id == VARIANT)
            )
        ).one()
        effects = (await session.execute(select(t.kitchen_ticket_effect.c.effect))).scalars()
        merchant = (await session.execute(select(t.merchant.c.name))).scalar_one()
        reserved = (await session.execute(select(t.stock.c.reserved))).scalars()
        all_reserved = list(reserved)
    assert (item.name, item.archived, item.source_lsn) == ("Iced Latte (Large)", True, 24031200)
    assert [KitchenEffect(e) for e in effects] == [KitchenEffect.CONSUMED]
    assert merchant == "Kopi Corner"
    assert all(r == Decimal(0) for r in all_reserved)


async def _all_handled(registry: CollectorRegistry, topics: dict[str, str], count: int) -> bool:
    return sum(handled(registry, topic) for topic in topics.values()) >= count
