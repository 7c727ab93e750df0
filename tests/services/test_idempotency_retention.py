"""Idempotency keys are kept for their retention, then pruned in bounded batches that never
make a write wait; a key reused after it was pruned is a new request."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.base import utcnow
from app.services.context import Actor
from app.services.idempotency_retention import (
    IdempotencyKeyPruner,
    PruneStats,
    prune_expired_keys,
)
from app.services.locations import create_location

Sessions = async_sessionmaker[AsyncSession]
MERCHANT = uuid.UUID("00000000-0000-7000-8000-0000000000c3")
ACTOR = Actor(MERCHANT, "user:tester")
RETENTION = timedelta(hours=24)


async def age(sessions: Sessions, key: str, by: timedelta) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(t.idempotency_key)
            .where(t.idempotency_key.c.key == key)
            .values(created_at=utcnow() - by)
        )


async def keys(sessions: Sessions) -> set[str]:
    async with sessions() as session:
        return set((await session.execute(select(t.idempotency_key.c.key))).scalars())


async def test_expired_keys_are_pruned_a_live_one_replays_and_a_pruned_one_is_new(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    first = await create_location(sessions, ACTOR, name="Bar", idempotency_key="old")
    live = await create_location(sessions, ACTOR, name="Kiosk", idempotency_key="live")
    await age(sessions, "old", RETENTION + timedelta(minutes=1))
    await age(sessions, "live", RETENTION - timedelta(minutes=1))

    pruned = await prune_expired_keys(engine, created_before=utcnow() - RETENTION)
    replayed = await create_location(sessions, ACTOR, name="Kiosk", idempotency_key="live")
    reused = await create_location(sessions, ACTOR, name="Bar 2", idempotency_key="old")

    assert pruned == 1
    assert replayed.location_id == live.location_id
    assert reused.location_id != first.location_id
    assert await keys(sessions) == {"live", "old"}


async def test_the_background_pruner_prunes_by_the_configured_retention(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    await create_location(sessions, ACTOR, name="Bar", idempotency_key="two-hours-old")
    await create_location(sessions, ACTOR, name="Kiosk", idempotency_key="fresh")
    await age(sessions, "two-hours-old", timedelta(hours=2))
    pruner = IdempotencyKeyPruner(engine, timedelta(hours=1), interval=0.05)

    pruner.start()
    try:
        async with asyncio.timeout(30):  # a hang guard, not a measure
            while pruner.stats.runs < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        await pruner.stop()

    assert await keys(sessions) == {"fresh"}
    assert pruner.stats.pruned == 1


async def test_pruning_100000_keys_goes_in_bounded_batches_and_never_blocks_writes(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    expired = 100_000
    async with sessions.begin() as session:
        await session.execute(
            text(
                "INSERT INTO idempotency_key (merchant_id, key, operation, request_hash, "
                "response, created_at) SELECT :merchant, 'expired-' || n, 'locationCreate', "
                "'x', '{}'::jsonb, now() - interval '2 days' FROM generate_series(1, :n) AS n"
            ),
            {"merchant": MERCHANT, "n": expired},
        )
    stats = PruneStats()
    pruning = asyncio.create_task(
        prune_expired_keys(
            engine, created_before=utcnow() - RETENTION, batch_size=1000, stats=stats
        )
    )
    # Writes claiming keys meanwhile: each completes while batches are still to come.
    pruned_when_written = []
    for n in range(20):
        await create_location(sessions, ACTOR, name=f"Stand {n}", idempotency_key=f"new-{n}")
        pruned_when_written.append(stats.pruned)
    await pruning

    async with sessions() as session:
        left = (
            await session.execute(select(func.count()).select_from(t.idempotency_key))
        ).scalar_one()
    assert stats.pruned == expired
    # 100 full batches, then one that found nothing left.
    assert stats.batches == expired // 1000 + 1
    assert left == 20
    assert min(pruned_when_written) < expired, pruned_when_written


async def test_a_batch_in_progress_holds_up_no_write_of_another_key(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    await create_location(sessions, ACTOR, name="Bar", idempotency_key="expired")
    await create_location(sessions, ACTOR, name="Kiosk", idempotency_key="live")
    await age(sessions, "expired", RETENTION * 2)
    keys_table = t.idempotency_key

    async with engine.connect() as held:
        # A pruning batch's rows, taken as a batch takes them and not yet let go.
        await held.execute(
            select(keys_table.c.key)
            .where(keys_table.c.created_at < utcnow() - RETENTION)
            .with_for_update(skip_locked=True)
        )
        async with asyncio.timeout(30):  # a hang guard: a blocked write would never return
            replay = await create_location(sessions, ACTOR, name="Kiosk", idempotency_key="live")
            fresh = await create_location(sessions, ACTOR, name="Stand", idempotency_key="fresh")
        await held.rollback()

    assert replay.location_id != fresh.location_id
    assert await keys(sessions) == {"expired", "live", "fresh"}
