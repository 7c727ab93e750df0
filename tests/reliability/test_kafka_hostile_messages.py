"""Deeply nested JSON on a consumed topic is dead-lettered at once and never stops a consumer.

Each once failed (retried as unexpected, or restarting the realtime consumer). Found
by test_kafka_garbage.py (which passes: every message still ends dead-lettered or
skipped, and the topics keep flowing).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.embedded import EmbeddedBroker
from app.kafka import topics
from app.kafka.client import ensure_topics
from consumers.dead_letters import REASON
from graphql_schema.ids import global_id
from tests.consumers.kafka_helpers import Record, read_topic
from tests.realtime.client import STOCK_CHANGED, socket
from tests.reliability import api
from tests.reliability.graphql_corpus import deep_json
from tests.reliability.kafka_io import broker_settings, produce_stream
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop

NESTED = deep_json(50_000).encode()


async def test_deeply_nested_json_is_dead_lettered_at_once_as_invalid_json(
    stack: Processes, own_broker: EmbeddedBroker, report: Report
) -> None:
    report.category, report.scenario = "Bad input", "consumer: nested JSON dead-lettered at once"
    report.regression("retried 5x as unexpected, then handler-error", "7820b37")
    settings = broker_settings(own_broker.bootstrap)
    topic = topics.PAYMENT_SUCCESS
    await ensure_topics(settings, [topic, topics.dead_letter_topic(topic)], partitions=1)
    consumer = stack.consume(
        "--topics",
        topic,
        KAFKA_BOOTSTRAP_SERVERS=own_broker.bootstrap,
        KAFKA_CONSUMER_GROUP=f"reliability-{uuid.uuid4().hex[:8]}",
    )

    await produce_stream(settings, topic, [Record(NESTED, key=b"nested")])
    [dead] = await read_topic(settings, topics.dead_letter_topic(topic), expect=1, within=60)

    assert consumer.alive
    assert dict(dead.headers)[REASON] == b"invalid-json"
    assert consumer.log_count("handling failed, retrying") == 0


async def test_the_realtime_consumer_skips_deeply_nested_json_without_restarting(
    sessions: async_sessionmaker[AsyncSession],
    stack: Processes,
    own_broker: EmbeddedBroker,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Bad input", "realtime consumer skips nested JSON"
    report.regression("RecursionError restarted the realtime consumer", "7820b37")
    settings = broker_settings(own_broker.bootstrap)
    await ensure_topics(settings, [topics.INVENTORY_STOCK_CHANGED], partitions=1)
    shop = await stocked_shop(sessions, 1, "5")
    app = stack.serve(KAFKA_BOOTSTRAP_SERVERS=own_broker.bootstrap)
    token = make_token(shop.merchant_id, "manager", subject="nested-json")
    async with socket(app.url.replace("http", "ws") + "/graphql", token) as pos:
        await pos.subscribe(STOCK_CHANGED, {"locationId": global_id("Location", shop.location_id)})
        # The consumer reads from the latest offset: wait until it delivers something.
        deadline = time.monotonic() + 60
        async with api.client(app.url) as http:
            while time.monotonic() < deadline:
                variables = {"input": api.adjust_input(shop.stock_gids[0], "1")}
                api.data_of(await api.graphql(http, token, api.STOCK_ADJUST, variables))
                try:
                    await pos.next_data(within=5)
                    break
                except TimeoutError:
                    continue

        await produce_stream(settings, topics.INVENTORY_STOCK_CHANGED, [Record(NESTED, key=b"x")])
        await asyncio.sleep(3)

    assert app.alive
    assert app.log_count("realtime consumer failed") == 0, app.log()
