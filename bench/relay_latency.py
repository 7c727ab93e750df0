"""The relay benchmark's latency phase: steady commits from another process, timed to the ack."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import text

from app.db.engine import create_engine
from app.db.listen_connections import listen_dsn
from app.kafka.client import create_producer
from app.outbox.claims import ClaimedEvent
from app.outbox.runner import build_relay
from app.settings import Settings

# The ceilings use the producer options the relay uses (build_relay).
RELAY_PRODUCER = {"linger_ms": 0, "request_timeout_ms": 10_000}

INSERT_CHANGE = """
INSERT INTO outbox_event (id, merchant_id, topic, key, event_type, payload, request_id)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, NULL), ($7, $2, $8, $4, $9, $10::jsonb, NULL)
"""


def _write_steadily(
    dsn: str, changes: list[list[str]], rate: float, seconds: float, out: str
) -> None:
    """Child process: `rate` transactions/s, each committing one change's two outbox rows.

    A change here is what a material movement adds to the outbox (its two
    payloads, copied from the staged ones with a fresh eventId). Writing the
    ledger too would cost ~6 ms of Python per change, which on a small machine
    is CPU taken from the relay rather than a measurement of it.
    """

    async def write() -> tuple[dict[str, float], float]:
        pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        commits: dict[str, float] = {}

        async def one(i: int) -> None:
            merchant, key, topic1, type1, payload1, topic2, type2, payload2 = changes[
                i % len(changes)
            ]
            event_id = str(uuid.uuid4())
            body1, body2 = (
                json.dumps(json.loads(p) | {"eventId": event_id}) for p in (payload1, payload2)
            )
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    INSERT_CHANGE, uuid.uuid4(), uuid.UUID(merchant), topic1, key, type1, body1,
                    uuid.uuid4(), topic2, type2, body2,
                )  # fmt: skip
                # Just before COMMIT: the delay measured is never shorter than the real one.
                asked = time.time()
            commits[event_id] = asked

        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        achieved = len(tasks) / (loop.time() - start)
        await pool.close()
        return commits, achieved

    commits, achieved = asyncio.run(write())
    Path(out).write_text(json.dumps({"commits": commits, "rate": achieved}))


async def _change_templates(url: str, count: int) -> list[list[str]]:
    """[merchant, key, topic, eventType, payload, topic, eventType, payload] per staged movement."""
    engine = create_engine(url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT merchant_id, key, topic, event_type, payload::text AS value"
                    " FROM outbox_event ORDER BY seq LIMIT :n"
                ),
                {"n": 2 * count},
            )
        ).all()
    await engine.dispose()
    return [
        [str(a.merchant_id), a.key, a.topic, a.event_type, a.value, b.topic, b.event_type, b.value]
        for a, b in zip(rows[0::2], rows[1::2], strict=True)
    ]


async def relay_latency(
    url: str, settings: Settings, *, rate: int, seconds: float, templates: int
) -> tuple[list[float], float]:
    """Delays from commit to acknowledgement of every event, and the rate achieved."""
    changes = await _change_templates(url, templates)
    acked: dict[str, float] = {}

    async def stamp(events: Sequence[ClaimedEvent]) -> None:
        now = time.time()
        for e in events:
            acked.setdefault(f"{e.topic}/{json.loads(e.value)['eventId']}", now)

    engine = create_engine(url)
    relay = build_relay(settings, engine, database_url=url, before_mark=stamp)
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(relay.listening.wait(), 30)
    out = Path(tempfile.mkdtemp()) / "commits.json"
    writer = multiprocessing.get_context("spawn").Process(
        target=_write_steadily,
        args=(listen_dsn(url), changes, rate, seconds, str(out)),
    )
    writer.start()
    await asyncio.to_thread(writer.join)
    written = json.loads(out.read_text())
    commits: dict[str, float] = written["commits"]
    async with asyncio.timeout(60):
        while len(acked) < 2 * len(commits):  # noqa: ASYNC110 - the relay's hook fills it
            await asyncio.sleep(0.01)
    relay.stop()
    await task
    await engine.dispose()
    delays = [
        acked[f"{topic}/{event_id}"] - asked
        for event_id, asked in commits.items()
        for topic in ("inventory.stock-changed", "material.stock-changed")
    ]
    return delays, float(written["rate"])


async def ceiling_latency(
    settings: Settings, events_per_second: int, seconds: float
) -> list[float]:
    producer = create_producer(settings, **RELAY_PRODUCER)
    await producer.start()
    delays: list[float] = []

    async def one(i: int) -> None:
        sent = time.perf_counter()
        await (await producer.send("inventory.stock-changed", b"{}", key=str(i % 400).encode()))
        delays.append(time.perf_counter() - sent)

    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for i in range(int(events_per_second * seconds)):
            await asyncio.sleep(max(0.0, start + i / events_per_second - loop.time()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    finally:
        await producer.stop()
    return delays
