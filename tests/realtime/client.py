"""A small graphql-transport-ws / graphql-ws client over the `websockets` package."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"

STOCK_CHANGED = """
subscription ($locationId: ID, $itemIds: [ID!]) {
  stockChanged(locationId: $locationId, itemIds: $itemIds) {
    occurredAt
    stock { id onHand reserved available version lowStock lowStockThreshold itemType }
    movement { id type referenceType deltaOnHand deltaReserved onHandAfter reason actor }
  }
}
"""

LOW_STOCK = """
subscription ($locationId: ID) {
  lowStock(locationId: $locationId) { id available lowStock lowStockThreshold version }
}
"""


class GqlSocket:
    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self._next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, within: float = 10.0) -> dict[str, Any]:
        """The next message that is not a keep-alive."""
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), within)
            # Text frames, as both protocols require (browsers' clients refuse binary ones).
            assert isinstance(raw, str), f"a binary frame: {raw[:80]!r}"
            message: dict[str, Any] = json.loads(raw)
            if message.get("type") not in ("ka", "ping", "pong"):
                return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        op_id = str(self._next_id)
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": op_id, "type": kind, "payload": payload})
        return op_id

    async def next_data(self, within: float = 10.0) -> dict[str, Any]:
        """The `data` of the next result; fails on anything else."""
        message = await self.receive(within)
        assert message["type"] in ("next", "data"), message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing_for(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            message = await self.receive(seconds)
            raise AssertionError(f"expected nothing, got {message}")

    async def close_code(self, within: float = 10.0) -> int | None:
        """Wait for the server to close the socket; its close code."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.wait_for(self.ws.recv(), within)
        return self.ws.close_code


@contextlib.asynccontextmanager
async def socket(
    url: str,
    token: str | None = None,
    *,
    protocol: str = TRANSPORT_WS,
    init: bool = True,
    headers: dict[str, str] | None = None,
    max_queue: int = 16,
    compression: str | None = "deflate",
) -> AsyncIterator[GqlSocket]:
    """A connected socket, acknowledged with `token` in the init payload unless init=False."""
    async with connect(
        url,
        subprotocols=[Subprotocol(protocol)],
        additional_headers=headers,
        open_timeout=10,
        close_timeout=2,
        max_queue=max_queue,
        compression=compression,
    ) as ws:
        client = GqlSocket(ws, protocol)
        if init:
            ack = await client.init({"Authorization": f"Bearer {token}"} if token else {})
            assert ack["type"] == "connection_ack", ack
        yield client
