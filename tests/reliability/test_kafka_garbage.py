"""Garbage on every consumed topic: each message dead-lettered untouched (or skipped by
design), no process down, nothing stored, and the topics still flow afterwards.

`inventory consume` reads the four sister-service topics and `inventory serve`'s
realtime consumer reads inventory.stock-changed. Truncated contract examples, random
bytes and wrong shapes go to all five. Then a real stock change must still reach a
websocket subscriber, and a real payment must still be applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.embedded import EmbeddedBroker
from app.kafka import topics
from app.kafka.client import ensure_topics
from app.settings import Settings
from graphql_schema.ids import global_id
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import Record, read_topic
from tests.realtime.client import STOCK_CHANGED, GqlSocket, socket
from tests.reliability import api
from tests.reliability import sales_stream as sales
from tests.reliability.kafka_garbage import Garbage, garbage_for
from tests.reliability.kafka_io import broker_settings, committed_total, produce_stream
from tests.reliability.processes import Processes, ServiceProcess
from tests.reliability.results import Report
from tests.reliability.shop_seed import StockedShop, stocked_shop
from tests.reliability.state import changed, snapshot
from tests.rest.seed import count
from tests.services.sales_builders import Shop, a_payment, sold

Sessions = async_sessionmaker[AsyncSession]
PARTITIONS = 2
BOUND_SECONDS = 180.0


@pytest.mark.timeout(400)
async def test_garbage_on_every_consumed_topic_is_dead_lettered_and_the_topics_keep_flowing(
    sessions: Sessions,
    stack: Processes,
    own_broker: EmbeddedBroker,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Bad input", "garbage on every consumed Kafka topic"
    rng = random.Random(run_seed := sales.run_seed())
    settings = broker_settings(own_broker.bootstrap)
    consumed = list(topics.CONSUMED)
    await ensure_topics(
        settings,
        [*consumed, *map(topics.dead_letter_topic, consumed), topics.INVENTORY_STOCK_CHANGED],
        partitions=PARTITIONS,
    )
    group = f"reliability-{uuid.uuid4().hex[:8]}"
    kafka = {"KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap, "KAFKA_CONSUMER_GROUP": group}
    shop = await stocked_shop(sessions, 1, "100")
    consumer = stack.consume("--partitions", str(PARTITIONS), **kafka)
    app = stack.serve(**kafka)
    token = make_token(shop.merchant_id, "manager", subject="garbage")
    garbage = {topic: garbage_for(topic, rng) for topic in consumed}
    realtime_garbage = [
        Record(g.value, key=str(shop.stock_ids[0]).encode())
        for g in garbage_for(topics.PAYMENT_SUCCESS, rng)
    ]

    async with socket(app.url.replace("http", "ws") + "/graphql", token) as pos:
        await pos.subscribe(STOCK_CHANGED, {"locationId": global_id("Location", shop.location_id)})
        first = await _change_reaches(pos, app, token, shop, "before the garbage")
        before = await snapshot(sessions)
        for topic, messages in garbage.items():
            await produce_stream(settings, topic, [Record(g.value, key=g.key) for g in messages])
        await produce_stream(settings, topics.INVENTORY_STOCK_CHANGED, realtime_garbage)
        handled = await _all_committed(own_broker.bootstrap, group, garbage, consumer)
        after = await snapshot(sessions)
        dead = {t: await _dead_letters(settings, t, m) for t, m in garbage.items()}
        second = await _change_reaches(pos, app, token, shop, "after the garbage")
    payment_applied = await _a_real_payment_is_applied(sessions, settings, shop, consumer)

    expected_dead = {t: Counter(g.value for g in m if not g.skipped) for t, m in garbage.items()}
    missing = {t: sum((expected_dead[t] - dead[t]).values()) for t in consumed}
    extra = {t: sum((dead[t] - expected_dead[t]).values()) for t in consumed}
    produced = sum(len(m) for m in garbage.values()) + len(realtime_garbage)
    report.faults = f"{produced} garbage messages on {len(consumed) + 1} topics"
    report.events_processed = produced
    report.events_lost = sum(missing.values())
    report.duplicates_applied = sum(extra.values())
    report.details.update(
        seed=run_seed,
        committed=handled,
        dead_lettered={t: sum(c.values()) for t, c in dead.items()},
        skipped_by_design=sum(g.skipped for m in garbage.values() for g in m),
        realtime_malformed_logged=app.log_count("skipped a malformed stock event"),
        consumer_retries=consumer.log_count("handling failed, retrying"),
    )
    report.notes = (
        f"{sum(sum(c.values()) for c in dead.values())} dead letters, "
        f"realtime skipped {app.log_count('skipped a malformed stock event')}; "
        "state unchanged; topics still flow"
    )

    assert handled == {t: len(m) for t, m in garbage.items()}
    assert missing == dict.fromkeys(consumed, 0)
    assert extra == dict.fromkeys(consumed, 0)
    assert changed(before, after) == {}
    assert first
    assert second
    assert payment_applied
    assert consumer.alive, consumer.log()
    assert app.alive, app.log()


async def _change_reaches(
    pos: GqlSocket, app: ServiceProcess, token: str, shop: StockedShop, reason: str
) -> bool:
    """Adjust the stock until its change event reaches the subscriber (the first adjustment
    may land before the subscription listens; older events, such as the seeding's, are
    passed over)."""
    deadline = time.monotonic() + 60
    async with api.client(app.url) as http:
        while time.monotonic() < deadline:
            variables = {"input": api.adjust_input(shop.stock_gids[0], "1", reason=reason)}
            api.data_of(await api.graphql(http, token, api.STOCK_ADJUST, variables))
            with contextlib.suppress(TimeoutError):
                while True:
                    change = (await pos.next_data(within=5))["stockChanged"]
                    if change["movement"]["reason"] == reason:
                        return True
    return False


async def _all_committed(
    bootstrap: str, group: str, garbage: dict[str, list[Garbage]], consumer: ServiceProcess
) -> dict[str, int]:
    deadline = time.monotonic() + BOUND_SECONDS
    while True:
        done = {t: await committed_total(bootstrap, group, t, PARTITIONS) for t in garbage}
        if all(done[t] >= len(m) for t, m in garbage.items()) or time.monotonic() > deadline:
            return done
        assert consumer.alive, consumer.log()
        await asyncio.sleep(1)


async def _dead_letters(
    settings: Settings, topic: str, messages: list[Garbage]
) -> Counter[bytes | None]:
    expect = sum(1 for g in messages if not g.skipped)
    dlq = topics.dead_letter_topic(topic)
    records = await read_topic(settings, dlq, expect=expect, within=30)
    return Counter(r.value for r in records)


async def _a_real_payment_is_applied(
    sessions: Sessions, settings: Settings, shop: StockedShop, consumer: ServiceProcess
) -> bool:
    """A payment of a variant nobody has seen: the consumer creates its item on the fly."""
    items_before = await count(sessions, "inventory_item")
    payment = a_payment(Shop(shop.merchant_id, shop.location_id), [sold(uuid.uuid4(), "1")])
    await produce_stream(settings, topics.PAYMENT_SUCCESS, [payment_record(payment)])
    deadline = time.monotonic() + 60
    while await count(sessions, "inventory_item") == items_before:
        if time.monotonic() > deadline or not consumer.alive:
            return False
        await asyncio.sleep(0.2)
    return True
