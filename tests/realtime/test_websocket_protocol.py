"""The websocket protocol `inventory serve` runs: frames of one loop turn written together."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from app import websocket_protocol
from app.realtime.streams import STOCK
from app.websocket_protocol import FLUSH_BYTES, LoopTurn, TurnBatchedTransport
from graphql_schema.ids import global_id
from tests.realtime.app_server import RunningApp
from tests.realtime.client import STOCK_CHANGED, socket
from tests.realtime.conftest import MakeToken
from tests.realtime.payloads import StockOf

# This module tests the turn-batched protocol itself: on, whatever the environment says.
SERVED_SETTINGS = {"websocket_turn_batching": True}


class Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Any] = []

    def write(self, data: Any) -> None:
        self.calls.append(bytes(data))

    def write_eof(self) -> None:
        self.calls.append("eof")

    def close(self) -> None:
        self.calls.append("close")

    def abort(self) -> None:
        self.calls.append("abort")

    def get_write_buffer_size(self) -> int:
        return 0


async def next_turn() -> None:
    await asyncio.sleep(0)


async def test_the_first_write_of_a_turn_goes_out_at_once_the_rest_together_next_turn() -> None:
    real = Recording()
    batched = TurnBatchedTransport(real, LoopTurn.of(asyncio.get_running_loop()))

    for frame in (b"1", b"2", b"3"):
        batched.write(frame)
    assert real.calls == [b"1"]
    assert batched.get_write_buffer_size() == 2
    await next_turn()
    assert real.calls == [b"1", b"23"]

    batched.write(b"4")  # a new turn: at once again
    assert real.calls == [b"1", b"23", b"4"]
    await next_turn()
    assert real.calls == [b"1", b"23", b"4"]


async def test_closing_or_half_closing_writes_what_waits_first() -> None:
    real = Recording()
    batched = TurnBatchedTransport(real, LoopTurn.of(asyncio.get_running_loop()))

    batched.write(b"a")
    batched.write(b"b")
    batched.write_eof()
    batched.write(b"c")
    batched.close()
    await next_turn()

    assert real.calls == [b"a", b"b", "eof", b"c", "close"]


async def test_a_turn_writing_more_than_flush_bytes_does_not_wait_for_its_end() -> None:
    real = Recording()
    batched = TurnBatchedTransport(real, LoopTurn.of(asyncio.get_running_loop()))
    half = b"x" * (FLUSH_BYTES // 2)

    batched.write(b"first")
    batched.write(half)
    batched.write(half)

    assert real.calls == [b"first", half + half]


async def test_sockets_written_in_one_turn_end_it_together_and_one_failing_stops_no_other() -> None:
    turn = LoopTurn.of(asyncio.get_running_loop())
    broken, fine = Recording(), Recording()
    first, second = TurnBatchedTransport(broken, turn), TurnBatchedTransport(fine, turn)

    for transport in (first, second):
        transport.write(b"a")
        transport.write(b"b")

    def refuse(data: Any) -> None:
        raise RuntimeError("gone")

    broken.write = refuse  # type: ignore[method-assign]
    await next_turn()
    assert fine.calls == [b"a", b"b"]

    broken.write = Recording.write.__get__(broken)  # type: ignore[method-assign]
    first.write(b"c")  # the failed turn ended for it too: at once
    assert broken.calls == [b"a", b"c"]


async def test_abort_drops_what_waits() -> None:
    real = Recording()
    batched = TurnBatchedTransport(real, LoopTurn.of(asyncio.get_running_loop()))

    batched.write(b"a")
    batched.write(b"b")
    batched.abort()
    await next_turn()

    assert real.calls == [b"a", "abort"]


async def test_a_burst_to_one_socket_is_every_frame_in_order_in_fewer_writes(
    served: RunningApp, make_token: MakeToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = 0
    wrap = TurnBatchedTransport.__init__

    class Counting:
        def __init__(self, transport: asyncio.Transport) -> None:
            self._transport = transport

        def write(self, data: Any) -> None:
            nonlocal writes
            writes += 1
            self._transport.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._transport, name)

    def counted(self: TurnBatchedTransport, transport: Any, turn: LoopTurn) -> None:
        wrap(self, Counting(transport), turn)  # type: ignore[arg-type]

    monkeypatch.setattr(websocket_protocol.TurnBatchedTransport, "__init__", counted)
    merchant, location = uuid.uuid4(), uuid.uuid4()
    stocks = [StockOf(merchant, location_id=location) for _ in range(200)]

    async with socket(served.url, make_token(merchant)) as pos:
        await pos.subscribe(STOCK_CHANGED, {"locationId": global_id("Location", location)})
        await served.subscribers(1)
        writes_before = writes
        for stock in stocks:
            await served.hub.publish(STOCK, merchant, stock.event(1))
        received = [await pos.receive() for _ in stocks]

    assert [m["type"] for m in received] == ["next"] * len(stocks)
    assert [m["payload"]["data"]["stockChanged"]["stock"]["id"] for m in received] == [
        global_id("Stock", stock.stock_id) for stock in stocks
    ]
    assert 0 < writes - writes_before < len(stocks)
