"""Shared steps of the relay tests: a shop with materials, stock changes, a relay, a reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location, Material
from app.domain.enums import MovementType, ReferenceType
from app.kafka import topics
from app.outbox.relay import OutboxRelay, RelayHandle, RelayOptions
from app.outbox.runner import build_relay
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.settings import Settings

STOCK_TOPICS = (topics.INVENTORY_STOCK_CHANGED, topics.MATERIAL_STOCK_CHANGED)


@dataclass(frozen=True)
class Shop:
    actor: Actor
    keys: list[StockKey]

    @property
    def merchant_id(self) -> uuid.UUID:
        return self.actor.merchant_id


async def open_shop(
    sessions: async_sessionmaker[AsyncSession], materials: int, *, request_id: str | None = None
) -> Shop:
    merchant_id = uuid.uuid4()
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant_id, name="Main", is_default=True)
        rows = [Material(merchant_id=merchant_id, name=f"m{i}", unit="g") for i in range(materials)]
        session.add_all([location, *rows])
    keys = [StockKey.material(location.id, m.id) for m in rows]
    return Shop(Actor(merchant_id, "relay-test", request_id), keys)


async def change(
    sessions: async_sessionmaker[AsyncSession], shop: Shop, key: StockKey, ref: str
) -> None:
    """One stock movement in its own transaction (two outbox rows: a material's two topics)."""
    move = Move(key, MovementType.ADJUSTMENT, ReferenceType.MANUAL, ref, Decimal("1.5"))
    async with sessions.begin() as session:
        stocks = await lock_stocks(session, shop.merchant_id, [key])
        await apply_moves(session, shop.actor, stocks, [move])


async def changes(sessions: async_sessionmaker[AsyncSession], shop: Shop, count: int) -> None:
    """`count` movements, round robin over the shop's stocks, concurrently."""
    await asyncio.gather(
        *(change(sessions, shop, shop.keys[i % len(shop.keys)], f"r{i}") for i in range(count))
    )


def settings_for(bootstrap: str) -> Settings:
    return Settings(kafka_bootstrap_servers=bootstrap, kafka_enable_idempotence=False)


def make_relay(
    engine: AsyncEngine,
    database_url: str | None,
    bootstrap: str,
    **options: Any,
) -> OutboxRelay:
    before_mark = options.pop("before_mark", None)
    producer_overrides = options.pop("producer", {})
    defaults: dict[str, Any] = {"poll_interval": 0.2, "request_timeout": 2.0, "reconnect_max": 0.5}
    return build_relay(
        settings_for(bootstrap),
        engine,
        database_url=database_url,
        options=RelayOptions(**(defaults | options)),
        before_mark=before_mark,
        **producer_overrides,
    )


@contextlib.asynccontextmanager
async def running(*relays: OutboxRelay) -> AsyncIterator[list[RelayHandle]]:
    handles = [RelayHandle.start(relay) for relay in relays]
    try:
        yield handles
    finally:
        for handle in handles:
            await handle.stop(grace_seconds=10)


async def unsent(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        statement = select(func.count()).where(t.outbox_event.c.sent_at.is_(None))
        return int((await session.execute(statement)).scalar_one())


async def staged(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        statement = select(func.count()).select_from(t.outbox_event)
        return int((await session.execute(statement)).scalar_one())


async def wait_until_all_sent(
    sessions: async_sessionmaker[AsyncSession], *, within: float = 20.0
) -> None:
    async with asyncio.timeout(within):
        while await unsent(sessions):  # noqa: ASYNC110 - polling the database, not an event
            await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Received:
    topic: str
    partition: int
    offset: int
    key: str
    headers: dict[str, bytes]
    value: bytes

    @property
    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.value.decode("utf-8"))
        return decoded


async def read_published(
    bootstrap: str, merchant_id: uuid.UUID, names: Iterable[str] = STOCK_TOPICS
) -> list[Received]:
    """Everything on the topics right now (from the start), of one merchant, in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[Received] = []
        async with asyncio.timeout(30):
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    found.extend(
                        Received(
                            r.topic,
                            r.partition,
                            r.offset,
                            r.key.decode(),
                            dict(r.headers),
                            r.value,
                        )
                        for r in records
                    )
    finally:
        await consumer.stop()
    mine = str(merchant_id)
    return [r for r in found if _merchant_of(r) == mine]


def _merchant_of(received: Received) -> str | None:
    """Other tests share these topics; anything that is not our JSON is not ours."""
    try:
        merchant = received.payload.get("merchantId")
    except (ValueError, AttributeError):
        return None
    return merchant if isinstance(merchant, str) else None


def versions_by_key(received: Iterable[Received]) -> dict[tuple[str, str], list[int]]:
    """Each (topic, key)'s versions in the order a consumer of its partition reads them."""
    ordered = sorted(received, key=lambda r: (r.topic, r.partition, r.offset))
    versions: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in ordered:
        versions[(r.topic, r.key)].append(int(r.payload["version"]))
    return dict(versions)
