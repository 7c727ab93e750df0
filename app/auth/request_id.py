"""X-Request-ID: read from the caller or generated, bound to the request, echoed back.

A pure ASGI middleware (no BaseHTTPMiddleware) so websockets and streaming pass through.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.request_context import ACCEPTABLE_REQUEST_ID, new_request_id, request_id_var

HEADER = "X-Request-ID"


def accepted_request_id(value: str | None) -> str:
    """The caller's id when it is a short plain token, else a fresh one (no log injection)."""
    if value is not None and ACCEPTABLE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(HEADER)
        request_id = accepted_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_request_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            request_id_var.reset(token)
