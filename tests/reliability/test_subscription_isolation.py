"""Subscriptions to another merchant's location, items or low stock yield nothing.

Over the whole path of a served process: B's mutations → outbox → relay → Kafka →
realtime consumer → hub → websockets. B's own subscriptions are the control (they see
B's changes); merchant A's sockets, subscribed with B's ids or with no filter at all,
see nothing of B's, and do see A's own change afterwards (so they were listening).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.embedded import EmbeddedBroker
from graphql_schema.ids import global_id
from tests.realtime.client import LOW_STOCK, STOCK_CHANGED, GqlSocket, socket
from tests.reliability import api
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import StockedShop, stocked_shop

Sessions = async_sessionmaker[AsyncSession]
QUIET_SECONDS = 3.0


@pytest.mark.timeout(300)
async def test_subscriptions_with_another_merchants_ids_receive_nothing_of_theirs(
    sessions: Sessions,
    stack: Processes,
    own_broker: EmbeddedBroker,
    make_token: Callable[..., str],
    report: Report,
) -> None:
    report.category, report.scenario = "Attacks", "subscription to another merchant's location"
    a = await stocked_shop(sessions, 1, "10")
    b = await stocked_shop(sessions, 1, "10")
    app = stack.serve(KAFKA_BOOTSTRAP_SERVERS=own_broker.bootstrap)
    token_a = make_token(a.merchant_id, "manager", subject="pos-a")
    token_b = make_token(b.merchant_id, "manager", subject="pos-b")
    b_location = {"locationId": global_id("Location", b.location_id)}
    spying: dict[str, tuple[str, dict[str, Any]]] = {
        "B's location": (STOCK_CHANGED, b_location),
        "B's item": (STOCK_CHANGED, {"itemIds": [global_id("Material", b.material_ids[0])]}),
        "B's location, bare ids": (STOCK_CHANGED, {"locationId": str(b.location_id)}),
        "B's low stock": (LOW_STOCK, b_location),
        "no filter": (STOCK_CHANGED, {}),
    }
    url = app.url.replace("http", "ws") + "/graphql"
    async with contextlib.AsyncExitStack() as sockets:
        b_changes = await _subscribed(sockets, url, token_b, STOCK_CHANGED, b_location)
        b_low = await _subscribed(sockets, url, token_b, LOW_STOCK, b_location)
        spies = {
            name: await _subscribed(sockets, url, token_a, document, variables)
            for name, (document, variables) in spying.items()
        }
        async with api.client(app.url) as http:
            await _until_delivered(http, token_b, b, b_changes)
            await _mutate(http, token_b, _threshold(b, "8"))
            for delta in ("-1", "-2", "-3"):
                await _mutate(http, token_b, _adjust(b, delta))
            # Drained together: each waits until its socket has been quiet a while.
            b_saw, b_saw_low, *spied = await asyncio.gather(
                _drain(b_changes), _drain(b_low), *map(_drain, spies.values())
            )
            heard = dict(zip(spies, spied, strict=True))
            await _mutate(http, token_a, _adjust(a, "1", reason="A's own"))
            own = await spies["no filter"].next_data(within=30)

    # A's no-filter socket may also carry A's own seeding, published late by the relay.
    theirs = {name: [m for m in messages if not _of(a, m)] for name, messages in heard.items()}
    leaked = {name: len(messages) for name, messages in theirs.items() if messages}
    report.faults = f"{len(spies)} subscriptions of merchant A on B's ids"
    report.events_processed = len(b_saw) + len(b_saw_low)
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(b_received=len(b_saw), b_low_stock=len(b_saw_low), a_received=leaked)
    report.notes = (
        f"B's own sockets got {len(b_saw)} changes and {len(b_saw_low)} low-stock events; "
        f"A's {len(spies)} sockets got {sum(leaked.values())}"
    )

    assert len(b_saw) >= 3
    assert len(b_saw_low) >= 1
    assert leaked == {}
    assert own["stockChanged"]["movement"]["reason"] == "A's own"
    assert app.alive, app.log()


async def _subscribed(
    sockets: contextlib.AsyncExitStack,
    url: str,
    token: str,
    document: str,
    variables: dict[str, Any],
) -> GqlSocket:
    client = await sockets.enter_async_context(socket(url, token))
    await client.subscribe(document, variables)
    return client


async def _until_delivered(http: Any, token: str, shop: StockedShop, pos: GqlSocket) -> None:
    """The realtime consumer reads from the latest offset: adjust until one change arrives."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        await _mutate(http, token, _adjust(shop, "1", reason="warm-up"))
        with contextlib.suppress(TimeoutError):
            while True:
                change = await pos.next_data(within=5)
                if change["stockChanged"]["movement"]["reason"] == "warm-up":
                    return
    raise AssertionError("no stock change reached B's own subscription")


async def _drain(pos: GqlSocket) -> list[dict[str, Any]]:
    """Everything the socket receives until it has been quiet for QUIET_SECONDS."""
    received = []
    with contextlib.suppress(TimeoutError):
        while True:
            received.append(await pos.next_data(within=QUIET_SECONDS))
    return received


async def _mutate(http: Any, token: str, call: tuple[str, dict[str, Any]]) -> None:
    document, variables = call
    [payload] = api.data_of(await api.graphql(http, token, document, variables)).values()
    assert payload["userErrors"] == [], payload


def _of(shop: StockedShop, message: dict[str, Any]) -> bool:
    [event] = message.values()
    stock = event.get("stock", event) if isinstance(event, dict) else {}
    return stock.get("id") in shop.stock_gids


def _adjust(shop: StockedShop, delta: str, reason: str = "b") -> tuple[str, dict[str, Any]]:
    return api.STOCK_ADJUST, {"input": api.adjust_input(shop.stock_gids[0], delta, reason=reason)}


def _threshold(shop: StockedShop, value: str) -> tuple[str, dict[str, Any]]:
    document = (
        "mutation($i: StockThresholdInput!) { stockThresholdSet(input: $i)"
        " { stock { id } userErrors { code } } }"
    )
    return document, {"i": {"stock": {"stockId": shop.stock_gids[0]}, "lowStockThreshold": value}}
