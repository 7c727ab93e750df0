"""A client that reads slower than events arrive: its queue coalesces per stock (bounded
memory, newest state) or, past its limit, the socket closes with 1013; a fast client on the
same channel is never held back by it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict

from app.realtime.streams import STOCK
from tests.realtime.app_server import RunningApp
from tests.realtime.client import STOCK_CHANGED, GqlSocket, socket
from tests.realtime.conftest import MakeToken
from tests.realtime.payloads import StockOf

SERVED_SETTINGS = {"realtime_subscriber_queue_limit": 40}

STOCKS = 20
VERSIONS = 150
# Big uncompressed messages fill the socket buffers quickly: the stalled client's sends block.
REASON = "r" * 4000


async def read_until_final(pos: GqlSocket, final: dict[str, int]) -> dict[str, list[int]]:
    """Versions seen per stock until every stock's final version arrived."""
    seen: dict[str, list[int]] = defaultdict(list)
    while any(seen[stock][-1:] != [version] for stock, version in final.items()):
        change = (await pos.next_data())["stockChanged"]["stock"]
        seen[change["id"]].append(change["version"])
    return seen


async def flood(served: RunningApp, stocks: list[StockOf]) -> None:
    for version in range(1, VERSIONS + 1):
        for stock in stocks:
            await served.hub.publish(STOCK, stock.merchant_id, stock.event(version, reason=REASON))
        await asyncio.sleep(0)


async def test_a_stalled_client_gets_the_newest_state_per_stock_and_delays_no_one(
    served: RunningApp, make_token: MakeToken
) -> None:
    merchant = uuid.uuid4()
    stocks = [StockOf(merchant) for _ in range(STOCKS)]
    final = {_stock_gid(s): VERSIONS for s in stocks}
    token = make_token(merchant)

    async with (
        socket(served.url, token) as fast,
        socket(served.url, token, max_queue=1, compression=None) as stalled,
    ):
        await fast.subscribe(STOCK_CHANGED)
        await stalled.subscribe(STOCK_CHANGED)
        await served.subscribers(2)
        fast_reader = asyncio.create_task(read_until_final(fast, final))
        await flood(served, stocks)
        published_at = time.monotonic()
        seen_fast = await asyncio.wait_for(fast_reader, 20)
        fast_lag = time.monotonic() - published_at
        slow_queue = max(served.hub.subscribers(), key=lambda s: s.coalesced)
        held_while_stalled, coalesced = slow_queue.pending, slow_queue.coalesced

        seen_slow = await asyncio.wait_for(read_until_final(stalled, final), 20)

    assert fast_lag < 5.0
    assert held_while_stalled <= STOCKS
    assert coalesced > 0  # the socket buffers filled up and the queue took over
    for seen in (seen_fast, seen_slow):
        assert all(versions == sorted(set(versions)) for versions in seen.values())
    # Only superseded versions were skipped, and every stock ended at its newest.
    assert sum(map(len, seen_slow.values())) == STOCKS * VERSIONS - coalesced


async def test_a_stalled_client_past_its_queue_limit_is_closed_with_1013(
    served: RunningApp, make_token: MakeToken
) -> None:
    merchant = uuid.uuid4()
    # Enough to fill the socket buffers, then more distinct stocks than the queue holds.
    stocks = [StockOf(merchant) for _ in range(400)]
    token = make_token(merchant)

    async with (
        socket(served.url, token) as fast,
        socket(served.url, token, max_queue=1, compression=None) as stalled,
    ):
        await fast.subscribe(STOCK_CHANGED)
        await stalled.subscribe(STOCK_CHANGED)
        await served.subscribers(2)
        overflowed_before = served.hub.stats.overflowed
        fast_reader = asyncio.create_task(
            read_until_final(fast, {_stock_gid(s): 1 for s in stocks})
        )
        for stock in stocks:
            await served.hub.publish(STOCK, merchant, stock.event(1, reason=REASON * 4))
            await asyncio.sleep(0.001)  # a pace a reading client keeps up with
        seen_fast = await asyncio.wait_for(fast_reader, 20)
        await served.subscribers(1)
        code = await stalled.close_code()

    assert code == 1013
    assert stalled.ws.close_reason == "Subscriber fell behind: refetch and resubscribe"
    assert served.hub.stats.overflowed == overflowed_before + 1
    assert len(seen_fast) == 400


def _stock_gid(stock: StockOf) -> str:
    from graphql_schema.ids import global_id

    return global_id("Stock", stock.stock_id)
