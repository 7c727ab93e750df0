"""The broker goes away while dashboards write: mutations keep working, the outbox fills,
and `inventory relay` delivers every event once a broker is back on the same address.

tansu keeps topics in memory, so "back" is a new, empty broker on the same port; what
must reach it is everything written while the old one was gone.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.embedded import EmbeddedBroker
from tests.reliability import api
from tests.reliability.delivery import delivery, last_seq, unsent, wait_until_sent
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop

Sessions = async_sessionmaker[AsyncSession]
STOCKS = 5
WRITES_DURING_OUTAGE = 100
# A material's change is published on two topics (inventory. and material.stock-changed).
ROWS_PER_WRITE = 2


@pytest.mark.timeout(400)
async def test_writes_during_a_broker_outage_are_all_relayed_when_it_returns(
    sessions: Sessions,
    stack: Processes,
    own_broker: EmbeddedBroker,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Faults", "broker down during GraphQL writes"
    shop = await stocked_shop(sessions, STOCKS, "1000")
    kafka = {"KAFKA_BOOTSTRAP_SERVERS": own_broker.bootstrap, "RUN_RELAY_IN_SERVE": "false"}
    app = stack.serve(**kafka)
    relay = stack.relay("--poll-interval", "0.5", **kafka)
    token = make_token(shop.merchant_id, "manager")
    await wait_until_sent(sessions, within=60, alive=[relay])
    since = await last_seq(sessions)

    own_broker.stop()
    answers = []
    async with api.client(app.url, connections=10) as http:
        for i in range(WRITES_DURING_OUTAGE):
            stock = shop.stock_gids[i % STOCKS]
            variables = {"input": api.adjust_input(stock, "1.5", reason=f"outage {i}")}
            answers.append(await api.graphql(http, token, api.STOCK_ADJUST, variables))
    waiting = await unsent(sessions)
    await _relay_noticed_the_outage(relay.log_count, within=30)
    own_broker.start()  # memory storage: a new, empty broker on the same port
    restarted = time.monotonic()
    await wait_until_sent(sessions, within=120, alive=[relay, app])
    drained_in = time.monotonic() - restarted

    failures = [a.text[:300] for a in answers if _failed(a)]
    published = await delivery(sessions, own_broker.bootstrap, shop.merchant_id, since_seq=since)
    on_hand = await _on_hand(sessions, shop.stock_ids)
    async with sessions() as session:
        ledger = await check_ledger(session)
    report.faults, report.faults_injected = "broker stopped, new broker on the same port", 1
    report.events_processed = WRITES_DURING_OUTAGE
    report.events_lost = published.lost
    report.duplicates_applied = published.resent
    report.details.update(
        mutations=len(answers),
        mutation_failures=len(failures),
        outbox_waiting_during_outage=waiting,
        outbox_rows=published.staged,
        delivered=published.delivered,
        drained_seconds=round(drained_in, 1),
        relay_outage_warnings=_outage_signs(relay.log_count),
    )
    report.notes = (
        f"{WRITES_DURING_OUTAGE} stockAdjust mutations while down, all answered; "
        f"{published.delivered}/{published.staged} events relayed after "
        f"{round(drained_in, 1)} s"
    )

    assert failures == []
    assert waiting == WRITES_DURING_OUTAGE * ROWS_PER_WRITE
    assert published.staged == WRITES_DURING_OUTAGE * ROWS_PER_WRITE
    assert published.lost == 0
    assert published.resent == 0
    assert published.out_of_order_keys == 0
    assert on_hand == [Decimal(1000) + Decimal("1.5") * (WRITES_DURING_OUTAGE // STOCKS)] * STOCKS
    assert ledger.discrepancies == []
    assert app.alive, app.log()
    assert relay.stop() == 0, relay.log()


def _failed(answer: httpx.Response) -> bool:
    try:
        payload = api.data_of(answer)
    except AssertionError:
        return True
    return bool(payload["stockAdjust"]["userErrors"])


def _outage_signs(count: Callable[[str], int]) -> int:
    return count("not acknowledged") + count("Kafka unreachable")


async def _relay_noticed_the_outage(count: Callable[[str], int], within: float) -> None:
    deadline = time.monotonic() + within
    while _outage_signs(count) == 0:
        assert time.monotonic() < deadline, "the relay never tried the stopped broker"
        await asyncio.sleep(0.25)


async def _on_hand(sessions: Sessions, stock_ids: list[uuid.UUID]) -> list[Decimal]:
    async with sessions() as session:
        rows = await session.execute(select(t.stock.c.id, t.stock.c.on_hand))
        by_id = {r.id: r.on_hand for r in rows}
    return [by_id[s] for s in stock_ids]
