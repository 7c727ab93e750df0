"""GraphQL over websockets: who the connection is, how long it may live, how it ends.

Both protocols are served at /graphql: `graphql-transport-ws` and the legacy
`graphql-ws`. Strawberry enforces the protocol's own rules and close codes:
4408 no connection_init within REALTIME_CONNECTION_INIT_TIMEOUT_SECONDS, 4401 a
subscribe before the ack, 4429 a second connection_init, 4409 an operation id
already in use, 4400 malformed messages; more than
REALTIME_MAX_SUBSCRIPTIONS_PER_CONNECTION operations at once answer that
operation with an error "Subscription limit reached".

Authentication happens once, in connection_init, exactly as HTTP does it
(`Identity.authenticate`): the token comes from the payload's `Authorization`,
`authorization` or `token`, else from the handshake's Authorization header. A
refused token closes with 4403 (legacy: `connection_error`, then 1011). Every
operation on the socket then runs through the same schema, extensions and
context as over HTTP.

The connection ends by itself, with a code a client can act on:

- 4403 "Token expired" when the token's `exp` passes. graphql-ws clients retry
  4403 and read their connectionParams again, so a fresh token reconnects.
- 1013 "Subscriber fell behind" when a subscription's queue overflowed: the
  client reconnects and refetches (it missed states, see `version`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError

from app.auth.errors import IdentityError
from app.realtime.metrics import ConnectionCount
from app.runtime import Runtime
from app.settings import Settings
from graphql_schema.context import Context

TOKEN_EXPIRED = (4403, "Token expired")
SUBSCRIBER_TOO_SLOW = (1013, "Subscriber fell behind: refetch and resubscribe")

_TOKEN_KEYS = ("Authorization", "authorization", "token")


class SocketSession:
    """Timers and the closing of one websocket, ended with the connection."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.close_code: int | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self._closing: asyncio.Task[None] | None = None

    def close_soon(self, code: int, reason: str) -> None:
        """Close once (first reason wins), from any task, without waiting for it."""
        if self._closing is None:
            self.close_code = code
            self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        # The client may be gone already, or the protocol handler closed first.
        with contextlib.suppress(RuntimeError, OSError):
            await self.websocket.close(code=code, reason=reason)

    def expire_at(self, moment: datetime) -> None:
        delay = max(0.0, (moment - datetime.now(UTC)).total_seconds())
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(delay, self.close_soon, *TOKEN_EXPIRED)

    async def aclose(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        if self._closing is not None and not self._closing.done():
            self._closing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._closing


@dataclass
class SocketContext(Context):
    """The context of every operation of one websocket (Strawberry makes one per socket)."""

    connection_params: dict[str, object] | None = None
    socket: SocketSession | None = None

    async def close(self) -> None:
        """What HTTP keeps per request is dropped after each operation of the socket (the
        schema's ReadsClosing calls this) and between two events of a subscription: the
        loaders' cached rows, the permission answers, the read connection. So a socket
        that lives for hours serves no stale rows, does not grow, holds no connection,
        and its operations are authorized like requests."""
        vars(self).pop("loaders", None)
        self._allowed.clear()
        await super().close()

    async def release(self) -> None:
        await self.close()


def socket_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of Strawberry's GraphQL view for the websocket side."""
    return {
        "subscription_protocols": ("graphql-transport-ws", "graphql-ws"),
        "connection_init_wait_timeout": timedelta(
            seconds=settings.realtime_connection_init_timeout_seconds
        ),
        "max_subscriptions_per_connection": settings.realtime_max_subscriptions_per_connection,
        # Only the legacy protocol has server keep-alives ("ka"); its clients expect them.
        "keep_alive": True,
        "keep_alive_interval": settings.realtime_keep_alive_seconds,
    }


@contextlib.asynccontextmanager
async def socket_context(websocket: WebSocket) -> AsyncIterator[SocketContext]:
    """The context of one websocket, unauthenticated until its connection_init."""
    runtime: Runtime = websocket.app.state.runtime
    session = SocketSession(websocket)
    ConnectionCount.open += 1
    try:
        yield SocketContext(
            settings=runtime.settings,
            sessions=runtime.database.sessions,
            identity=runtime.identity,
            principal=None,
            request=websocket,
            socket=session,
        )
    finally:
        ConnectionCount.open -= 1
        await session.aclose()


def authorization_of(params: Mapping[str, object] | None, websocket: WebSocket) -> str | None:
    for key in _TOKEN_KEYS:
        value = (params or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value
    return websocket.headers.get("authorization")


async def accept_connection(context: Context) -> dict[str, object]:
    """`on_ws_connect`: authenticate the socket, arm its expiry; the ack tells when."""
    if not isinstance(context, SocketContext) or context.socket is None:
        raise ConnectionRejectionError({"message": "not a websocket", "code": "UNAUTHENTICATED"})
    session = context.socket
    try:
        principal = await context.identity.authenticate(
            authorization_of(context.connection_params, session.websocket)
        )
    except IdentityError as exc:
        raise ConnectionRejectionError({"message": exc.message, "code": exc.code}) from None
    if principal.expires_at <= datetime.now(UTC):
        # Verification allows clock leeway; a socket would only live to be closed at once.
        raise ConnectionRejectionError({"message": "token expired", "code": "UNAUTHENTICATED"})
    context.principal = principal
    session.expire_at(principal.expires_at)
    return {"expiresAt": principal.expires_at.isoformat().replace("+00:00", "Z")}
