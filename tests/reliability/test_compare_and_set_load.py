"""200 concurrent `stockAdjust` mutations with compare-and-set on 10 stocks, over real HTTP.

Each stock gets 20 adjustments of +1, four for each `changeFromQuantity` of 100..104,
all sent at once to `inventory serve`. A compare-and-set can only pass while on hand
still equals its value, so per stock exactly the chain 100, 101, ... passes, one
request per step, and every other request is refused as CHANGE_FROM_QUANTITY_STALE.
The ledger must show each success once and nothing else.

The cost budget is per caller (merchant + subject): the requests come from ten
callers (ten tills), 20 each, well inside the default budget, as ten POS terminals
of one shop would.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.ledger import check_ledger
from app.domain.enums import MovementType
from tests.reliability import api
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop

Sessions = async_sessionmaker[AsyncSession]
STOCKS = 10
PER_STOCK = 20
CALLERS = 10
START = 100
STEPS = 5  # distinct changeFromQuantity values per stock


async def test_concurrent_compare_and_set_adjustments_apply_each_success_exactly_once(
    sessions: Sessions, stack: Processes, make_token: Callable[..., str], report: Report
) -> None:
    report.category, report.scenario = "Load", "200 concurrent compare-and-set stockAdjust"
    shop = await stocked_shop(sessions, STOCKS, str(START))
    app = stack.serve()
    tokens = [make_token(shop.merchant_id, "cashier", subject=f"till-{i}") for i in range(CALLERS)]
    requests = [
        (stock, START + j % STEPS, tokens[(s * PER_STOCK + j) % CALLERS])
        for s, stock in enumerate(shop.stock_gids)
        for j in range(PER_STOCK)
    ]
    async with api.client(app.url, connections=len(requests)) as http:
        answers = await asyncio.gather(
            *(_adjust(http, token, stock, change_from) for stock, change_from, token in requests)
        )

    server_errors = [a.status_code for a in answers if a.status_code >= 500]
    outcomes = [_outcome(a) for a in answers]
    successes: dict[str, list[int]] = defaultdict(list)
    for (stock, change_from, _), outcome in zip(requests, outcomes, strict=True):
        if outcome == "applied":
            successes[stock].append(change_from)
    refused = Counter(o for o in outcomes if o != "applied")
    rows = await _adjustment_rows(sessions, shop.stock_ids)
    on_hand = await _on_hand(sessions, shop.stock_ids)
    async with sessions() as session:
        ledger = await check_ledger(session)
    applied = sum(len(v) for v in successes.values())
    report.faults = "200 concurrent writers, 10 callers"
    report.events_processed = len(answers)
    report.events_lost = sum(max(0, len(successes[g]) - rows[s]) for g, s in _pairs(shop))
    report.duplicates_applied = sum(max(0, rows[s] - len(successes[g])) for g, s in _pairs(shop))
    report.details.update(applied=applied, refused=dict(refused), server_errors=len(server_errors))
    report.notes = (
        f"{applied} applied, {refused.get('CHANGE_FROM_QUANTITY_STALE', 0)} refused as stale, "
        f"{len(server_errors)} 5xx"
    )

    assert server_errors == []
    assert set(refused) <= {"CHANGE_FROM_QUANTITY_STALE"}, refused
    assert applied + refused["CHANGE_FROM_QUANTITY_STALE"] == STOCKS * PER_STOCK
    for gid, stock_id in _pairs(shop):
        chain = sorted(successes[gid])
        # Exactly one success per step of the chain, from the start, without gaps.
        assert chain == list(range(START, START + len(chain))), (gid, chain)
        assert rows[stock_id] == len(chain)
        assert on_hand[stock_id] == START + len(chain)
    assert ledger.discrepancies == []
    assert app.alive, app.log()


async def _adjust(
    http: httpx.AsyncClient, token: str, stock: str, change_from: int
) -> httpx.Response:
    variables = {"input": api.adjust_input(stock, "1", change_from=str(change_from))}
    return await api.graphql(http, token, api.STOCK_ADJUST, variables)


def _outcome(response: httpx.Response) -> str:
    """'applied', the one userError code at changeFromQuantity, or what else came back."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        return "top-level " + ",".join(
            str(e.get("extensions", {}).get("code")) for e in body["errors"]
        )
    payload: dict[str, Any] = body["data"]["stockAdjust"]
    errors = payload["userErrors"]
    if not errors and payload["movement"] is not None:
        return "applied"
    if len(errors) == 1 and errors[0]["field"] == ["input", "changeFromQuantity"]:
        return str(errors[0]["code"])
    return f"unexpected {payload}"


def _pairs(shop: Any) -> list[tuple[str, uuid.UUID]]:
    return list(zip(shop.stock_gids, shop.stock_ids, strict=True))


async def _adjustment_rows(sessions: Sessions, stock_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Ledger ADJUSTMENT rows per stock, the seeding one left out."""
    ledger = t.stock_movement
    async with sessions() as session:
        rows = await session.execute(
            select(ledger.c.stock_id, func.count())
            .where(
                ledger.c.stock_id.in_(stock_ids),
                ledger.c.type == MovementType.ADJUSTMENT,
                ledger.c.reason != "seed",
            )
            .group_by(ledger.c.stock_id)
        )
        counts = {r[0]: int(r[1]) for r in rows}
    return {s: counts.get(s, 0) for s in stock_ids}


async def _on_hand(sessions: Sessions, stock_ids: list[uuid.UUID]) -> dict[uuid.UUID, Decimal]:
    async with sessions() as session:
        rows = await session.execute(
            select(t.stock.c.id, t.stock.c.on_hand).where(t.stock.c.id.in_(stock_ids))
        )
        return {r.id: r.on_hand for r in rows}
