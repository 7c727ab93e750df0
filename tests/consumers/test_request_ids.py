"""A consumed payment is followed by its request id: the `requestId` (or `X-Request-ID`)
header the sale service sent, else the payment's eventId, is on the consumer's log lines
and on the inventory.stock-changed events the payment stages."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.logs import JsonFormatter
from app.settings import Settings
from consumers import payments
from consumers.metrics import ConsumerMetrics
from tests.consumers.events import payment_record
from tests.consumers.kafka_helpers import (
    Record,
    eventually,
    handled,
    make_runner,
    new_topic,
    produce,
    running,
)
from tests.services.sales_builders import a_payment, latte_shop, sold

Sessions = async_sessionmaker[AsyncSession]


class Lines(logging.Handler):
    """The consumer's log lines as the JSON the process writes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def consumer_lines() -> Iterator[Lines]:
    lines = Lines()
    logger = logging.getLogger("consumers.delivery")
    level = logger.level
    logger.addHandler(lines)
    logger.setLevel(logging.DEBUG)
    try:
        yield lines
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)


def with_header(record: Record, name: str, value: str) -> Record:
    return dataclasses.replace(record, headers=[(name, value.encode())])


async def staged_request_ids(sessions: Sessions) -> dict[str, set[str | None]]:
    """The request ids of the staged inventory.stock-changed events, by their sale order."""
    outbox = t.outbox_event
    async with sessions() as session:
        rows = await session.execute(
            select(outbox.c.payload, outbox.c.request_id).where(
                outbox.c.topic == "inventory.stock-changed"
            )
        )
        found: dict[str, set[str | None]] = {}
        for row in rows:
            movement = row.payload["movement"]
            if movement["referenceType"] == "SALE_ORDER":
                found.setdefault(movement["referenceId"], set()).add(row.request_id)
        return found


async def test_a_batch_of_payments_carries_each_ones_request_id(
    settings: Settings,
    sessions: Sessions,
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
    consumer_lines: Lines,
) -> None:
    shop, _, latte, _ = await latte_shop(sessions)
    first, second, third = (a_payment(shop, [sold(latte, "1")]) for _ in range(3))
    topic = await new_topic(settings, "payments")
    await produce(
        settings,
        topic,
        [
            with_header(payment_record(first), "requestId", "pos-7f3a-1"),
            with_header(payment_record(second), "X-Request-ID", "pos-7f3a-2"),
            payment_record(third),  # no header: its eventId
        ],
    )

    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 3))
    staged = await staged_request_ids(sessions)

    expected = {
        str(first.sale_order_id): "pos-7f3a-1",
        str(second.sale_order_id): "pos-7f3a-2",
        str(third.sale_order_id): str(third.event_id),
    }
    assert staged == {order: {request_id} for order, request_id in expected.items()}
    handling = [line for line in consumer_lines.lines if line.get("topic") == topic]
    assert handling, "the consumer logged nothing while handling the payments"
    told: set[str] = set()
    for line in handling:
        ids = set(line.get("requestIds", [])) | (
            {line["requestId"]} if "requestId" in line else set()
        )
        assert ids, line
        told |= ids
    assert told == set(expected.values())


async def test_a_payment_alone_and_a_poison_one_log_their_own_request_ids(
    settings: Settings,
    sessions: Sessions,
    metrics: ConsumerMetrics,
    registry: CollectorRegistry,
    consumer_lines: Lines,
) -> None:
    shop, _, latte, _ = await latte_shop(sessions)
    payment = a_payment(shop, [sold(latte, "2")])
    topic = await new_topic(settings, "payments")
    await produce(settings, topic, [with_header(payment_record(payment), "requestId", "pos-1")])
    async with running(make_runner(settings, sessions, {topic: payments.handle}, metrics)):
        await eventually(lambda: _handled(registry, topic, 1))
        await produce(settings, topic, [Record(b"{not json", headers=[("requestId", b"pos-2")])])
        await eventually(lambda: _handled(registry, topic, 2))

    lines = {line["message"]: line for line in consumer_lines.lines if line.get("topic") == topic}
    assert lines["message handled"]["requestId"] == "pos-1"
    assert lines["message dead-lettered"]["requestId"] == "pos-2"
    assert await staged_request_ids(sessions) == {str(payment.sale_order_id): {"pos-1"}}


async def _handled(registry: CollectorRegistry, topic: str, count: int) -> bool:
    return handled(registry, topic) >= count
