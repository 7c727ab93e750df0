"""uvicorn's websocket protocol with the frames of one event-loop turn written together.

uvicorn writes every frame to the socket as it is sent: one system call each, about
a third of the CPU of an `availabilityChanged` message when one stock change moves
200 products of a location (every message goes to the same socket in one burst).
Here the first write of a loop turn still goes out at once (a lone message is not
delayed), and what the same turn writes after it is joined and written at the start
of the next turn, or as soon as it reaches FLUSH_BYTES. The frames, their order and
uvicorn's flow control (pause_writing/resume_writing come from the real transport)
are unchanged; closing or half-closing writes what is waiting first.

Used by `inventory serve` (`ws=` takes an import string) and the benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

log = logging.getLogger(__name__)

# Waiting frames are written once they add up to this, even within one turn.
FLUSH_BYTES = 64 * 1024

PROTOCOL = "app.websocket_protocol:TurnBatchedWebSocketProtocol"


class LoopTurn:
    """The transports of one event loop that wrote in its current turn: one callback at
    the turn's end serves them all (10 terminals of a location are 10 sockets written in
    the same turn)."""

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopTurn] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._wrote: list[TurnBatchedTransport] | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> LoopTurn:
        turn = cls._of_loop.get(loop)
        if turn is None:
            turn = cls._of_loop[loop] = cls(loop)
        return turn

    def wrote(self, transport: TurnBatchedTransport) -> None:
        if self._wrote is None:
            self._wrote = [transport]
            self._loop.call_soon(self._end)
        else:
            self._wrote.append(transport)

    def _end(self) -> None:
        wrote, self._wrote = self._wrote or [], None
        for transport in wrote:
            try:
                transport.end_turn()
            except Exception:
                # That socket's loss; the others' frames still go out.
                log.exception("writing a websocket's frames failed")


class TurnBatchedTransport(asyncio.Transport):
    """A transport whose writes after the first of a loop turn wait for the turn's end."""

    def __init__(self, transport: asyncio.Transport, turn: LoopTurn) -> None:
        super().__init__()
        self._transport = transport
        self._turn = turn
        # None: nothing was written this turn. A list: the turn's first write went out,
        # these wait for the turn's end.
        self._waiting: list[bytes] | None = None
        self._waiting_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        waiting = self._waiting
        if waiting is None:
            self._waiting = []
            self._turn.wrote(self)
            self._transport.write(data)
            return
        waiting.append(bytes(data))
        self._waiting_bytes += len(data)
        if self._waiting_bytes >= FLUSH_BYTES:
            self._write_waiting()

    def end_turn(self) -> None:
        try:
            self._write_waiting()
        finally:
            self._waiting = None

    def _write_waiting(self) -> None:
        waiting = self._waiting
        if waiting:
            self._waiting = []
            self._waiting_bytes = 0
            self._transport.write(b"".join(waiting))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def write_eof(self) -> None:
        self._write_waiting()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self._write_waiting()
        self._transport.close()

    def abort(self) -> None:
        self._waiting = []
        self._waiting_bytes = 0
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._waiting_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


class TurnBatchedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's `websockets-sansio` protocol writing through a TurnBatchedTransport."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        real = cast(asyncio.Transport, transport)
        turn = LoopTurn.of(asyncio.get_running_loop())
        super().connection_made(TurnBatchedTransport(real, turn))
