"""The hub and its subscriber queues on their own: coalescing, overflow, duplicates, backends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from app.realtime.events import decode_stock_event
from app.realtime.hub import MessageTooLarge, RealtimeHub
from app.realtime.streams import STOCK
from app.realtime.subscriber import Subscriber, SubscriberOverflow
from tests.realtime.payloads import StockOf


@pytest.fixture
async def hub() -> AsyncIterator[RealtimeHub]:
    started = RealtimeHub.from_url("memory://", queue_limit=3)
    await started.start()
    yield started
    await started.stop()


async def settle() -> None:
    await asyncio.sleep(0.05)


def postgres_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_a_queue_keeps_one_event_per_stock_the_newest_in_its_first_place() -> None:
    merchant = uuid.uuid4()
    a, b = StockOf(merchant), StockOf(merchant)
    queue = Subscriber(location_id=None, accepts=lambda _e: True, limit=10)

    for event in (a.event(1), b.event(1), a.event(3), a.event(2), b.event(2)):
        queue.offer(decode_stock_event(event))

    first, second = await queue.get(), await queue.get()
    assert [(first.stock_id, first.version), (second.stock_id, second.version)] == [
        (a.stock_id, 3),
        (b.stock_id, 2),
    ]
    assert (queue.pending, queue.coalesced) == (0, 3)


async def test_a_queue_past_its_limit_of_stocks_ends_and_says_so_once() -> None:
    merchant = uuid.uuid4()
    calls: list[str] = []
    queue = Subscriber(
        location_id=None, accepts=lambda _e: True, limit=2, on_overflow=lambda: calls.append("x")
    )

    accepted = [queue.offer(decode_stock_event(StockOf(merchant).event(1))) for _ in range(4)]

    with pytest.raises(SubscriberOverflow):
        await queue.get()
    assert accepted == [True, True, False, True]
    assert (calls, queue.pending, queue.overflowed) == (["x"], 0, True)


async def test_the_hub_passes_each_version_on_once_and_skips_malformed_messages(
    hub: RealtimeHub,
) -> None:
    stock = StockOf(uuid.uuid4())
    async with hub.subscribe(STOCK, stock.merchant_id) as subscriber:
        first = stock.event(1)
        nested = "[" * 100_000 + "]" * 100_000
        for message in (first, first, "{not json", nested, stock.event(2), stock.event(1)):
            await hub.publish(STOCK, stock.merchant_id, message)
        await settle()
        delivered = await subscriber.get()

    assert (delivered.version, subscriber.pending) == (2, 0)
    assert (hub.stats.duplicates, hub.stats.malformed) == (2, 2)


async def test_the_last_subscriber_leaving_closes_the_channel(hub: RealtimeHub) -> None:
    merchant = uuid.uuid4()
    async with hub.subscribe(STOCK, merchant), hub.subscribe(STOCK, merchant):
        during = (hub.channel_count, hub.subscriber_count)

    assert during == (1, 2)
    assert (hub.channel_count, hub.subscriber_count) == (0, 0)


async def test_postgres_notify_carries_events_between_hubs(database_url: str) -> None:
    stock = StockOf(uuid.uuid4())
    publisher = RealtimeHub.from_url(postgres_dsn(database_url))
    receiver = RealtimeHub.from_url(postgres_dsn(database_url))
    await publisher.start()
    await receiver.start()
    try:
        async with receiver.subscribe(STOCK, stock.merchant_id) as subscriber:
            await publisher.publish(STOCK, stock.merchant_id, stock.event(7, "12.5"))
            received = await asyncio.wait_for(subscriber.get(), 5)
            with pytest.raises(MessageTooLarge):
                await publisher.publish(STOCK, stock.merchant_id, "x" * 8000)
    finally:
        await publisher.stop()
        await receiver.stop()

    assert (received.version, str(received.on_hand)) == (7, "12.5")


def test_the_largest_possible_stock_event_fits_in_a_postgres_notify() -> None:
    # The relay sends jsonb's text: a reason (at most 500 characters) costs at worst 6 bytes
    # a character (a control character escaped as \u0001); actors and ids are short.
    worst_reason = '"' + "\\u0001" * 500 + '"'
    message = StockOf(uuid.uuid4()).event(2**31).replace('"counted"', worst_reason)

    assert len(message.encode()) < 7999
