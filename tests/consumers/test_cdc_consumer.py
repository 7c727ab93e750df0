"""Debezium CDC through the broker: any arrival order converges, skips are skips."""

from __future__ import annotations

import json
import uuid
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.settings import Settings
from consumers import dead_letters, merchants, product_variants
from consumers.metrics import ConsumerMetrics
from tests.consumers.kafka_helpers import (
    Record,
    eventually,
    handled,
    make_runner,
    new_topic,
    produce,
    read_topic,
    running,
    sample,
)

Sessions = async_sessionmaker[AsyncSession]
MERCHANT = uuid.UUID("6f1c2a9e-0b7d-4c1e-9a51-3d2f8e7b1a01")


def _variant(variant_id: uuid.UUID, name: str, *, tracked: bool = False) -> dict[str, Any]:
    return {
        "id": str(variant_id),
        "merchant_id": str(MERCHANT),
        "product_id": str(uuid.uuid4()),
        "name": name,
        "sku": "LAT-ICE-L",
        "track_inventory": tracked,
        "unit": "pcs",
        "is_active": True,
        "created_at": 1763600000000000,
        "updated_at": "2026-11-21T10:00:00.000Z",
        "deleted_at": None,
    }


def _change(
    op: str, lsn: int, *, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None
) -> Record:
    row = after or before or {}
    envelope = {
        "before": before,
        "after": after,
        "source": {"connector": "postgresql", "table": "product_variant", "lsn": lsn},
        "op": op,
        "ts_ms": 1763600000100,
    }
    return Record(json.dumps(envelope).encode(), key=json.dumps({"id": row.get("id")}).encode())


async def _item(sessions: Sessions, variant_id: uuid.UUID) -> Any:
    item = t.inventory_item
    async with sessions() as session:
        return (
            await session.execute(
                select(
                    item.c.name, item.c.track_inventory, item.c.archived, item.c.source_lsn
                ).where(item.c.merchant_id == MERCHANT, item.c.product_variant_id == variant_id)
            )
        ).one()


async def _handled(registry: CollectorRegistry, topic: str, count: int) -> bool:
    return handled(registry, topic) >= count


async def test_an_update_before_its_create_and_a_delete_before_an_update_converge(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    updated_first, deleted_first = uuid.uuid4(), uuid.uuid4()
    large = _variant(updated_first, "Large", tracked=True)
    renamed = _variant(deleted_first, "Renamed")
    topic = await new_topic(settings, "variants")
    await produce(
        settings,
        topic,
        [
            _change("u", 200, before=_variant(updated_first, "L"), after=large),
            _change("c", 100, after=_variant(updated_first, "L")),
            _change("c", 100, after=_variant(deleted_first, "L")),
            _change("d", 300, before=_variant(deleted_first, "L")),
            _change("u", 200, before=_variant(deleted_first, "L"), after=renamed),
        ],
    )

    async with running(make_runner(settings, sessions, {topic: product_variants.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 5))

    assert tuple(await _item(sessions, updated_first)) == ("Large", True, False, 200)
    assert tuple(await _item(sessions, deleted_first)) == ("L", False, True, 300)
    assert sample(registry, "messages_processed", topic=topic, outcome="applied") == 3
    assert sample(registry, "messages_processed", topic=topic, outcome="stale") == 2


async def test_tombstones_truncates_and_messages_are_skipped_and_unknown_ops_dead_lettered(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    variant = uuid.uuid4()
    key_only_delete = _change("d", 400, before={"id": str(variant)})
    topic = await new_topic(settings, "variants")
    await produce(
        settings,
        topic,
        [
            Record(None, key=b'{"id": "x"}'),
            Record(json.dumps({"op": "t", "source": {"lsn": 1}}).encode()),
            Record(json.dumps({"op": "m", "message": {"prefix": "p"}}).encode()),
            Record(json.dumps({"op": "z", "after": {}}).encode()),
            key_only_delete,
            _change("r", 50, after=_variant(variant, "Snapshot")),
        ],
    )

    async with running(make_runner(settings, sessions, {topic: product_variants.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 6))
        letters = await read_topic(settings, f"{topic}.dlq", expect=2)

    assert sample(registry, "messages_processed", topic=topic, outcome="skipped") == 3
    assert [dict(r.headers)[dead_letters.REASON] for r in letters] == [
        b"unsupported-event",
        b"invalid-value",
    ]
    assert dict(letters[1].headers)[dead_letters.DETAIL] == b"merchant_id: is required"
    assert letters[1].value == key_only_delete.value
    assert tuple(await _item(sessions, variant)) == ("Snapshot", False, False, 50)


async def test_a_merchant_create_brings_its_default_location_once(
    settings: Settings, sessions: Sessions, metrics: ConsumerMetrics, registry: CollectorRegistry
) -> None:
    merchant = {
        "id": str(MERCHANT),
        "name": "Kopi Corner",
        "status": "ACTIVE",
        "timezone": "Asia/Ho_Chi_Minh",
        "currency": "VND",
        "deleted_at": None,
    }
    create = Record(
        json.dumps({"op": "c", "after": merchant, "source": {"lsn": 10}}).encode(),
        key=json.dumps({"id": str(MERCHANT)}).encode(),
    )
    topic = await new_topic(settings, "merchants")
    await produce(settings, topic, [create, create])

    async with running(make_runner(settings, sessions, {topic: merchants.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 2))

    async with sessions() as session:
        row = (await session.execute(select(t.merchant).where(t.merchant.c.id == MERCHANT))).one()
        locations = (
            await session.execute(
                select(t.location.c.is_default).where(t.location.c.merchant_id == MERCHANT)
            )
        ).scalars()
        defaults = list(locations)
    assert (row.name, row.currency, row.source_lsn) == ("Kopi Corner", "VND", 10)
    assert defaults == [True]
    assert sample(registry, "messages_processed", topic=topic, outcome="stale") == 1
