"""A payment stream and dashboard traffic on the same stocks at once: no deadlock reaches users.

`inventory consume` applies a stream of payments (product deductions, material
reservations) while dashboard clients page stocks and the ledger and adjust the
very material stocks the payments reserve, over HTTP to `inventory serve`. Lock
waits are expected; an error reaching a user is not: every query must answer
without errors, every adjustment must apply, and the stocks must end where the
payments plus the adjustments put them.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.embedded import EmbeddedBroker
from app.kafka.client import ensure_topics
from app.kafka.topics import PAYMENT_SUCCESS, dead_letter_topic
from graphql_schema.ids import global_id
from tests.reliability import api
from tests.reliability import sales_stream as sales
from tests.reliability.kafka_io import broker_settings, committed_total, end_offsets, produce_stream
from tests.reliability.processes import Processes
from tests.reliability.results import Report

Sessions = async_sessionmaker[AsyncSession]
SALE_ORDERS = 300
PARTITIONS = 4
READERS = 4
WRITERS = 3
READ_PAUSE = 0.2
THROTTLED_PAUSE = 2.0
BOUND_SECONDS = 300.0


@pytest.mark.timeout(500)
async def test_payments_and_dashboards_at_once_surface_no_deadlock_to_users(
    sessions: Sessions,
    stack: Processes,
    own_broker: EmbeddedBroker,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Load", "payment stream + dashboard reads and writes"
    rng = random.Random(run_seed := sales.run_seed())
    cafe = await sales.open_cafe(sessions, rng)
    orders = sales.sale_orders(cafe, SALE_ORDERS, rng)
    want = sales.expected(cafe, orders)
    material_stocks = await _material_stocks(sessions, cafe)
    settings = broker_settings(own_broker.bootstrap)
    await ensure_topics(
        settings, [PAYMENT_SUCCESS, dead_letter_topic(PAYMENT_SUCCESS)], partitions=PARTITIONS
    )
    group = f"reliability-{uuid.uuid4().hex[:8]}"
    kafka = {"KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap, "KAFKA_CONSUMER_GROUP": group}
    app = stack.serve(**kafka)
    consumer = stack.consume("--topics", PAYMENT_SUCCESS, "--partitions", str(PARTITIONS), **kafka)
    deadlocks_before = await _deadlocks(sessions)
    done = asyncio.Event()
    answers: list[tuple[str, httpx.Response]] = []
    adjusted: Counter[uuid.UUID] = Counter()

    async def read(http: httpx.AsyncClient, token: str) -> None:
        # A dashboard polls; when its query budget runs low it is told so and waits.
        while not done.is_set():
            for query in (api.STOCKS_PAGE, api.MOVEMENTS_PAGE):
                answer = await api.graphql(http, token, query)
                answers.append(("read", answer))
                await asyncio.sleep(THROTTLED_PAUSE if _throttled(answer) else READ_PAUSE)

    async def write(http: httpx.AsyncClient, token: str, worker: int) -> None:
        turn = 0
        while not done.is_set():
            stock_id = material_stocks[(worker + turn) % len(material_stocks)]
            variables = {"input": api.adjust_input(global_id("Stock", stock_id), "1")}
            answer = await api.graphql(http, token, api.STOCK_ADJUST, variables)
            answers.append(("write", answer))
            if _applied(answer):
                adjusted[stock_id] += 1
            turn += 1

    started = time.monotonic()
    async with api.client(app.url, connections=READERS + WRITERS) as http:
        clients = [
            *(
                read(http, make_token(cafe.shop.merchant_id, "manager", subject=f"dash-{i}"))
                for i in range(READERS)
            ),
            *(
                write(http, make_token(cafe.shop.merchant_id, "manager", subject=f"back-{i}"), i)
                for i in range(WRITERS)
            ),
        ]
        traffic = [asyncio.create_task(c) for c in clients]
        await produce_stream(settings, PAYMENT_SUCCESS, sales.records(orders))
        processed = await _all_committed(own_broker.bootstrap, group, len(orders), started)
        done.set()
        await asyncio.gather(*traffic)
    seconds = time.monotonic() - started

    throttled = sum(1 for _, a in answers if _throttled(a))
    failed = [
        (kind, a.status_code, a.text[:300])
        for kind, a in answers
        if not _clean(a) and not _throttled(a)
    ]
    seen = await sales.observe(sessions, cafe)
    outcome = sales.tally(want, seen)
    on_hand = await _material_on_hand(sessions, material_stocks)
    async with sessions() as session:
        ledger = await check_ledger(session)
    dead_letters = await end_offsets(own_broker.bootstrap, dead_letter_topic(PAYMENT_SUCCESS))
    await asyncio.sleep(1.5)  # backends flush their statistics about once a second
    deadlocks = await _deadlocks(sessions) - deadlocks_before
    kinds = Counter(kind for kind, _ in answers)
    report.faults = f"{READERS} readers + {WRITERS} writers during {len(orders)} payments"
    report.events_processed = processed + len(answers)
    report.events_lost = outcome.lost
    report.duplicates_applied = outcome.duplicated
    report.details.update(
        seed=run_seed,
        payments=processed,
        reads=kinds["read"],
        writes=kinds["write"],
        adjustments_applied=sum(adjusted.values()),
        user_visible_errors=len(failed),
        throttled_reads=throttled,
        database_deadlocks=deadlocks,
        consumer_retries=consumer.log_count("handling failed, retrying"),
        seconds=round(seconds, 1),
    )
    report.notes = (
        f"{processed} payments, {kinds['read']} dashboard reads, {kinds['write']} adjustments; "
        f"{len(failed)} errors seen by users ({throttled} reads throttled by the budget), "
        f"{deadlocks} deadlocks in PostgreSQL"
    )

    assert failed == []
    assert processed == len(orders)
    assert kinds["read"] > 0
    assert kinds["write"] > 0
    assert outcome.lost == 0
    assert outcome.duplicated == 0
    assert outcome.wrong_stocks == {}
    assert on_hand == {s: sales.INITIAL_ON_HAND + adjusted[s] for s in material_stocks}
    assert ledger.discrepancies == []
    assert dead_letters == 0
    assert app.alive, app.log()
    assert consumer.alive, consumer.log()


def _clean(answer: httpx.Response) -> bool:
    if answer.status_code != 200:
        return False
    body = answer.json()
    if body.get("errors"):
        return False
    payload = body["data"].get("stockAdjust")
    return payload is None or not payload["userErrors"]


def _throttled(answer: httpx.Response) -> bool:
    """The query budget said "wait" (THROTTLED): the documented limit, not a failure."""
    if answer.status_code != 200:
        return False
    codes = {e.get("extensions", {}).get("code") for e in answer.json().get("errors") or ()}
    return codes == {"THROTTLED"}


def _applied(answer: httpx.Response) -> bool:
    return _clean(answer) and answer.json()["data"]["stockAdjust"]["movement"] is not None


async def _all_committed(bootstrap: str, group: str, events: int, started: float) -> int:
    while (total := await committed_total(bootstrap, group, PAYMENT_SUCCESS, PARTITIONS)) < events:
        assert time.monotonic() - started < BOUND_SECONDS, f"{total} of {events} committed"
        await asyncio.sleep(0.5)
    return total


async def _material_stocks(sessions: Sessions, cafe: sales.Catalogue) -> list[uuid.UUID]:
    async with sessions() as session:
        rows = await session.execute(
            select(t.stock.c.id).where(
                t.stock.c.merchant_id == cafe.shop.merchant_id, t.stock.c.material_id.isnot(None)
            )
        )
        return sorted(rows.scalars())


async def _material_on_hand(
    sessions: Sessions, stock_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Decimal]:
    async with sessions() as session:
        rows = await session.execute(
            select(t.stock.c.id, t.stock.c.on_hand).where(t.stock.c.id.in_(stock_ids))
        )
        return {r.id: r.on_hand for r in rows}


async def _deadlocks(sessions: Sessions) -> int:
    """PostgreSQL's count of deadlocks it detected (and broke) in this database."""
    async with sessions() as session:
        statement = text(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
        return int((await session.execute(statement)).scalar_one())
