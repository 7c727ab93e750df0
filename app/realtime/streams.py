"""The kinds of realtime messages, each on its own channel per merchant.

A stream names its channels and decodes its messages into values a subscriber's
queue can coalesce. `stockChanged` reads STOCK, `lowStock` LOW_STOCK; a derived stream
(e.g. availability, computed by a consumer handler from stock events) is one more
`Stream` with its own event type and the same hub, queues and merchant isolation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from app.realtime.events import StockEvent, decode_stock_event
from app.realtime.low_stock import LowStockEvent, decode_low_stock


class RealtimeEvent(Protocol):
    """What the hub needs of any message: where it belongs and how to coalesce it."""

    @property
    def location_id(self) -> uuid.UUID: ...

    @property
    def coalesce_key(self) -> Hashable: ...

    @property
    def version(self) -> int: ...


E = TypeVar("E", bound=RealtimeEvent)


@dataclass(frozen=True)
class Stream(Generic[E]):
    """`decode` raises ValueError on a message it cannot use."""

    name: str
    decode: Callable[[str], E]

    def channel(self, merchant_id: uuid.UUID) -> str:
        # ≤ 63 bytes, so it is also a valid PostgreSQL LISTEN channel.
        return f"inventory.{self.name}.{merchant_id}"


STOCK: Stream[StockEvent] = Stream("stock", decode_stock_event)
LOW_STOCK: Stream[LowStockEvent] = Stream("low-stock", decode_low_stock)
