"""The relay against the real broker: what reaches Kafka, in what order, and how fast."""

import asyncio
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.kafka import topics
from app.outbox.claims import ClaimedEvent
from tests.outbox.helpers import (
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

CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "events"


def _validator(topic: str) -> Draft202012Validator:
    schema = json.loads((CONTRACT / f"{topic}.schema.json").read_text())
    checker = FormatChecker()
    # jsonschema checks date-time only with an optional package; check it ourselves.
    checker.checks("date-time", raises=ValueError)(datetime.fromisoformat)
    return Draft202012Validator(schema, format_checker=checker)


async def _stored_payloads(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[str, str], dict[str, Any]]:
    async with sessions() as session:
        rows = (await session.execute(select(t.outbox_event))).all()
    return {(row.topic, row.payload["eventId"]): row.payload for row in rows}


async def test_every_stock_change_is_published_once_valid_and_as_stored(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 3, request_id="req-publish-1")
    await changes(sessions, shop, 12)
    stored = await _stored_payloads(sessions)

    async with running(make_relay(engine, database_url, kafka_bootstrap)):
        await wait_until_all_sent(sessions)
    received = await read_published(kafka_bootstrap, shop.merchant_id)

    validators = {name: _validator(name) for name in stored_topics(stored)}
    assert len(stored) == 24
    assert Counter((r.topic, r.payload["eventId"]) for r in received) == Counter(stored.keys())
    for r in received:
        validators[r.topic].validate(r.payload)
        assert r.payload == stored[(r.topic, r.payload["eventId"])]
        assert r.key == r.payload["stockId"]
        assert r.headers == {
            "eventType": r.payload["eventType"].encode(),
            "contentType": b"application/json",
            "requestId": b"req-publish-1",
        }


def stored_topics(stored: dict[tuple[str, str], dict[str, Any]]) -> set[str]:
    return {topic for topic, _ in stored}


async def test_changes_of_one_stock_arrive_in_the_order_they_happened(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 4)

    async with running(make_relay(engine, database_url, kafka_bootstrap, batch_size=7)):
        await changes(sessions, shop, 120)
        await wait_until_all_sent(sessions)
    received = await read_published(kafka_bootstrap, shop.merchant_id)

    versions = versions_by_key(received)
    assert len(versions) == 8  # 4 stocks x 2 topics
    assert all(v == list(range(1, 31)) for v in versions.values()), versions


async def test_a_commit_wakes_the_relay_long_before_its_poll_interval(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 1)
    relay = make_relay(engine, database_url, kafka_bootstrap, poll_interval=60)

    async with running(relay):
        await asyncio.wait_for(relay.listening.wait(), 10)
        await asyncio.sleep(0.3)  # let the relay's first rounds finish: it is idle now
        started = asyncio.get_running_loop().time()
        await change(sessions, shop, shop.keys[0], "woken")
        await wait_until_all_sent(sessions, within=5)
        elapsed = asyncio.get_running_loop().time() - started

    assert elapsed < 1.0


async def test_the_relay_listens_again_after_its_connection_is_killed(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 1)
    relay = make_relay(engine, database_url, kafka_bootstrap, poll_interval=60)
    listeners = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = 'inventory-relay-listen'"
    )

    async with running(relay):
        await asyncio.wait_for(relay.listening.wait(), 10)
        async with engine.connect() as connection:
            [old_pid] = (await connection.execute(listeners)).scalars().all()
            await connection.execute(text(f"SELECT pg_terminate_backend({old_pid})"))
        async with asyncio.timeout(10):
            while True:
                async with engine.connect() as connection:
                    pids = (await connection.execute(listeners)).scalars().all()
                if pids and old_pid not in pids and relay.listening.is_set():
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        started = asyncio.get_running_loop().time()
        await change(sessions, shop, shop.keys[0], "after-reconnect")
        await wait_until_all_sent(sessions, within=5)
        elapsed = asyncio.get_running_loop().time() - started

    assert elapsed < 1.0


async def test_stop_finishes_the_batch_in_flight(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    database_url: str,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 5)
    await changes(sessions, shop, 20)
    in_flight: list[ClaimedEvent] = []
    reached = asyncio.Event()

    async def slow_mark(events: list[ClaimedEvent]) -> None:
        in_flight.extend(events)
        reached.set()
        await asyncio.sleep(0.5)

    relay = make_relay(engine, database_url, kafka_bootstrap, batch_size=8, before_mark=slow_mark)
    async with running(relay) as [handle]:
        await asyncio.wait_for(reached.wait(), 10)
        await handle.stop()
        finished = handle.task.done()

    async with sessions() as session:
        statement = select(t.outbox_event.c.sent_at).where(
            t.outbox_event.c.seq.in_([e.seq for e in in_flight])
        )
        sent_at = (await session.execute(statement)).scalars().all()
    assert finished
    assert len(in_flight) == 8
    assert all(moment is not None for moment in sent_at)
    assert await unsent(sessions) == await staged(sessions) - 8


async def test_a_failed_send_is_kept_with_attempts_error_and_backoff(
    sessions: async_sessionmaker[AsyncSession],
    engine: AsyncEngine,
    kafka_bootstrap: str,
) -> None:
    shop = await open_shop(sessions, 2)
    await changes(sessions, shop, 4)
    # A limit below the payloads' size: the producer refuses every event.
    relay = make_relay(
        engine, None, kafka_bootstrap, retry_base=8, producer={"max_request_size": 200}
    )

    await relay.publisher.connect()
    try:
        report = await relay.relay_batch()
    finally:
        await relay.close()

    outbox = t.outbox_event
    async with sessions() as session:
        statement = select(
            outbox.c.topic,
            outbox.c.key,
            outbox.c.attempts,
            outbox.c.last_error,
            outbox.c.sent_at,
            (outbox.c.next_attempt_at - text("now()")).label("retry_in"),
        ).order_by(outbox.c.seq)
        rows = (await session.execute(statement)).all()
    heads = {(r.topic, r.key): r for r in reversed(rows)}
    followers = [r for r in rows if r not in heads.values()]
    assert (report.claimed, report.sent, report.failed) == (8, 0, 4)
    assert all(r.sent_at is None for r in rows)
    for head in heads.values():
        assert head.attempts == 1
        assert head.last_error.startswith("MessageSizeTooLargeError")
        assert 3.5 < head.retry_in.total_seconds() <= 8
    # Rows behind a failed one wait for it without counting an attempt of their own.
    assert [(r.attempts, r.last_error) for r in followers] == [(0, None)] * 4
    assert {topic for topic, _ in heads} == {
        topics.INVENTORY_STOCK_CHANGED,
        topics.MATERIAL_STOCK_CHANGED,
    }
