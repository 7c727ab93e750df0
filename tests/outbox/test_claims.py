"""Claiming in per-key order, pruning and the backlog, straight against PostgreSQL."""

import asyncio
import uuid
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.base import utcnow
from app.outbox.backlog import BacklogCollector, read_backlog
from app.outbox.claims import claim_batch
from app.outbox.relay import OutboxRelay, RelayOptions
from app.outbox.writer import PendingEvent, enqueue
from tests.outbox.helpers import make_relay

MERCHANT = uuid.uuid4()


async def _stage(sessions: async_sessionmaker[AsyncSession], *keys: str) -> None:
    """One row per key given, in that order (seq order), each in its own transaction."""
    for i, key in enumerate(keys):
        async with sessions.begin() as session:
            event = PendingEvent("topic.a", key, "TEST", {"n": i, "key": key})
            await enqueue(session, MERCHANT, [event])


async def _claimed(engine: AsyncEngine, limit: int = 100) -> list[tuple[str, int]]:
    async with engine.connect() as connection, connection.begin():
        events = await claim_batch(connection, limit)
    return [(e.key, e.seq) for e in events]


async def test_a_key_whose_oldest_row_another_relay_holds_is_skipped_entirely(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "A", "B", "A", "B")

    async with engine.connect() as other_relay, other_relay.begin():
        await other_relay.execute(text("SELECT 1 FROM outbox_event WHERE seq = 1 FOR UPDATE"))
        claimed = await _claimed(engine)

    assert claimed == [("B", 2), ("B", 4)]


async def test_a_key_whose_oldest_row_waits_for_its_retry_is_skipped_entirely(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "A", "B", "A", "B")
    async with sessions.begin() as session:
        await session.execute(
            update(t.outbox_event)
            .where(t.outbox_event.c.seq == 1)
            .values(attempts=1, next_attempt_at=utcnow() + timedelta(minutes=5))
        )

    claimed = await _claimed(engine)

    assert claimed == [("B", 2), ("B", 4)]


async def test_a_claim_takes_a_run_of_each_key_in_seq_order_up_to_the_limit(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "A", "A", "B", "A", "C", "B", "A")
    async with sessions.begin() as session:
        await session.execute(
            update(t.outbox_event).where(t.outbox_event.c.seq == 1).values(sent_at=utcnow())
        )

    claimed = await _claimed(engine, limit=4)

    # A's head is now row 2; every key contributes a prefix of its unsent rows.
    assert claimed == [("A", 2), ("B", 3), ("A", 4), ("C", 5)]


async def test_rows_claimed_by_one_relay_are_invisible_to_a_second(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "A", "B", "C", "A", "B", "C")

    async with engine.connect() as first, first.begin():
        mine = await claim_batch(first, 2)
        theirs = await _claimed(engine)

    assert [(e.key, e.seq) for e in mine] == [("A", 1), ("B", 2)]
    assert theirs == [("C", 3), ("C", 6)]


async def test_a_key_behind_a_window_full_of_blocked_rows_is_still_found(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    # With limit 1 the claim first looks at the 4 oldest unsent rows: all of key A.
    await _stage(sessions, "A", "A", "A", "A", "A", "B")
    async with sessions.begin() as session:
        await session.execute(
            update(t.outbox_event)
            .where(t.outbox_event.c.seq == 1)
            .values(attempts=4, next_attempt_at=utcnow() + timedelta(minutes=5))
        )

    claimed = await _claimed(engine, limit=1)

    assert claimed == [("B", 6)]


async def test_a_claim_stays_fast_when_statistics_predate_the_backlog(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Statistics taken while every row was sent, then an outage's backlog of 10,000 rows.

    A planner that believes in one unsent row once turned this claim into a
    subquery per backlog row (35 s for 20,000 rows); now it takes milliseconds.
    """
    copy_rows = text(
        "INSERT INTO outbox_event (id, merchant_id, topic, key, event_type, payload, sent_at)"
        " SELECT gen_random_uuid(), :merchant, 'topic.a', 'k' || (n % 100), 'TEST',"
        " jsonb_build_object('n', n), CASE WHEN :sent THEN now() END"
        " FROM generate_series(1, 10000) AS n"
    )
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(copy_rows, {"merchant": MERCHANT, "sent": True})
        await autocommit.execute(text("VACUUM ANALYZE outbox_event"))
        await autocommit.execute(copy_rows, {"merchant": MERCHANT, "sent": False})

    started = asyncio.get_running_loop().time()
    claimed = await _claimed(engine, limit=500)
    elapsed = asyncio.get_running_loop().time() - started

    assert elapsed < 2.0
    assert len(claimed) == 500
    assert claimed == sorted(claimed, key=lambda c: c[1])
    assert {key for key, _ in claimed} == {f"k{n}" for n in range(100)}


async def test_prune_removes_only_rows_sent_long_ago(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "old-sent", "recent-sent", "old-unsent", "new-unsent")
    now = utcnow()
    async with sessions.begin() as session:
        for seq, sent_at, created_at in [
            (1, now - timedelta(hours=100), now - timedelta(hours=101)),
            (2, now - timedelta(hours=1), now - timedelta(hours=101)),
            (3, None, now - timedelta(hours=101)),
        ]:
            await session.execute(
                update(t.outbox_event)
                .where(t.outbox_event.c.seq == seq)
                .values(sent_at=sent_at, created_at=created_at)
            )
    # Pruning needs no broker: the relay is never started.
    relay: OutboxRelay = make_relay(engine, None, "unused:9092", prune_after=timedelta(hours=72))

    pruned = await relay.prune()

    async with sessions() as session:
        left = (await session.execute(text("SELECT key FROM outbox_event ORDER BY seq"))).scalars()
        remaining = list(left)
    assert pruned == 1
    assert remaining == ["recent-sent", "old-unsent", "new-unsent"]


async def test_backlog_counts_unsent_rows_and_ages_the_oldest(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine
) -> None:
    await _stage(sessions, "A", "B", "C", "D")
    now = utcnow()
    async with sessions.begin() as session:
        outbox = t.outbox_event
        await session.execute(update(outbox).where(outbox.c.seq == 1).values(sent_at=now))
        await session.execute(
            update(outbox)
            .where(outbox.c.seq == 2)
            .values(created_at=now - timedelta(minutes=10), attempts=3)
        )

    async with engine.connect() as connection:
        backlog = await read_backlog(connection)
    registry = CollectorRegistry()
    registry.register(BacklogCollector(lambda: backlog))
    exposition = generate_latest(registry).decode()

    assert (backlog.unsent, backlog.retrying) == (3, 1)
    assert 599 < backlog.oldest_unsent_age_seconds() < 660
    assert "inventory_outbox_backlog_events 3.0" in exposition
    assert "inventory_outbox_retrying_events 1.0" in exposition
    assert "inventory_outbox_oldest_unsent_age_seconds 6" in exposition


def test_relay_options_come_from_settings() -> None:
    from app.settings import Settings

    settings = Settings(outbox_batch_size=42, outbox_prune_after_hours=5)

    options = RelayOptions.from_settings(settings, poll_interval=3.0)

    assert (options.batch_size, options.prune_after, options.poll_interval) == (
        42,
        timedelta(hours=5),
        3.0,
    )
