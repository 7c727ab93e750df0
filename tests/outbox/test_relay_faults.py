"""The relay under faults: a broker outage, a relay killed mid-batch, two relays at once."""

import asyncio
import json
from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.embedded import EmbeddedBroker
from app.outbox.claims import ClaimedEvent
from tests.outbox.helpers import (
    Received,
    change,
    changes,
    make_relay,
    open_shop,
    read_published,
    running,
    staged,
    unsent,
    versions_by_key,
    wait_until_all_sent,
)


def _first_seen(received: list[Received]) -> dict[tuple[str, str], list[int]]:
    """Per key, versions in arrival order with repeats (redeliveries) left out."""
    ordered: dict[tuple[str, str], list[int]] = {}
    for key, versions in versions_by_key(received).items():
        ordered[key] = list(dict.fromkeys(versions))
    return ordered


async def _failed_rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        statement = select(func.count()).where(t.outbox_event.c.attempts > 0)
        return int((await session.execute(statement)).scalar_one())


async def test_changes_made_while_the_broker_is_down_all_arrive_when_it_is_back(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    restartable_broker: EmbeddedBroker,
) -> None:
    shop = await open_shop(sessions, 5)
    relay = make_relay(engine, database_url, restartable_broker.bootstrap, batch_size=50)

    async with running(relay):
        await change(sessions, shop, shop.keys[0], "before-outage")
        await wait_until_all_sent(sessions)
        restartable_broker.stop()
        await changes(sessions, shop, 100)
        async with asyncio.timeout(15):
            while not await _failed_rows(sessions):  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # the relay keeps failing to reconnect for a while
        assert await unsent(sessions) == 200
        restartable_broker.start()
        await wait_until_all_sent(sessions, within=30)
    # The restarted broker (memory storage) holds exactly what was sent after the outage.
    received = await read_published(restartable_broker.bootstrap, shop.merchant_id)

    versions = versions_by_key(received)
    assert len(received) == 200
    assert all(v == list(range(v[0], v[0] + 20)) for v in versions.values()), versions
    # 20 changes per stock; the first stock's version 1 went to the broker before the outage.
    assert Counter((v[0], v[-1]) for v in versions.values()) == {(1, 20): 8, (2, 21): 2}
    assert relay.publisher.generation >= 2  # the producer was re-created after the outage


async def test_a_relay_killed_between_publish_and_mark_loses_nothing(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 4)
    await changes(sessions, shop, 40)
    batches: list[list[ClaimedEvent]] = []
    published_not_marked = asyncio.Event()

    async def crash_on_second_batch(events: list[ClaimedEvent]) -> None:
        batches.append(list(events))
        if len(batches) == 2:
            published_not_marked.set()
            await asyncio.Event().wait()  # hangs here until the task is killed

    doomed = make_relay(
        engine, database_url, kafka_bootstrap, batch_size=30, before_mark=crash_on_second_batch
    )
    async with running(doomed) as [handle]:
        await asyncio.wait_for(published_not_marked.wait(), 10)
        handle.task.cancel()
        await asyncio.gather(handle.task, return_exceptions=True)
    left_after_crash = await unsent(sessions)
    async with running(make_relay(engine, database_url, kafka_bootstrap)):
        await wait_until_all_sent(sessions)
    received = await read_published(kafka_bootstrap, shop.merchant_id)

    counts = Counter((r.topic, r.payload["eventId"]) for r in received)
    killed = {(e.topic, _event_id(e)) for e in batches[1]}
    assert left_after_crash == 80 - 30
    assert len(counts) == 80  # every event arrived
    assert {k for k, n in counts.items() if n > 1} == killed  # only the killed batch, twice
    assert all(v == list(range(1, 11)) for v in _first_seen(received).values())


def _event_id(event: ClaimedEvent) -> str:
    return str(json.loads(event.value)["eventId"])


async def test_two_relays_at_once_publish_each_event_once_and_in_key_order(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 20)
    await changes(sessions, shop, 200)
    total = await staged(sessions)
    first = make_relay(engine, database_url, kafka_bootstrap, batch_size=10)
    second = make_relay(engine, database_url, kafka_bootstrap, batch_size=10)

    async with running(first, second):
        await wait_until_all_sent(sessions, within=30)
    received = await read_published(kafka_bootstrap, shop.merchant_id)

    counts = Counter((r.topic, r.payload["eventId"]) for r in received)
    assert total == 400
    assert len(counts) == 400
    assert set(counts.values()) == {1}
    assert first.stats.published > 0
    assert second.stats.published > 0
    assert first.stats.published + second.stats.published == 400
    assert all(v == list(range(1, 11)) for v in versions_by_key(received).values())
