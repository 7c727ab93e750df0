"""X-Request-ID: read or generated, echoed, in every log line, sent on to identity."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from app.auth.actions import Action
from app.auth.identity import Identity
from app.auth.request_id import RequestIdMiddleware
from app.logs import JsonFormatter
from app.request_context import current_request_id
from tests.auth.conftest import BuildIdentity
from tests.fakes.identity_server import FakeIdentityState

log = logging.getLogger("tests.auth.request")


def _app(identity: Identity | None = None) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        log.warning("handled")
        return JSONResponse({"seen": current_request_id(), "state": request.state.request_id})

    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b"one,", b"two,", b"three"):
                yield part

        return StreamingResponse(chunks(), media_type="text/plain")

    async def guarded(request: Request) -> JSONResponse:
        assert identity is not None
        principal = await identity.authenticate(request.headers.get("authorization"))
        await identity.authorize(principal, Action.READ)
        return JSONResponse({"actor": principal.actor})

    routes = [Route("/echo", echo), Route("/stream", stream), Route("/guarded", guarded)]
    return Starlette(routes=routes, middleware=[Middleware(RequestIdMiddleware)])


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    try:
        yield buffer
    finally:
        log.removeHandler(handler)


async def test_the_callers_request_id_is_used_echoed_and_logged(json_log: io.StringIO) -> None:
    async with _client(_app()) as client:
        response = await client.get("/echo", headers={"X-Request-ID": "trace-42"})

    assert response.headers["X-Request-ID"] == "trace-42"
    assert response.json() == {"seen": "trace-42", "state": "trace-42"}
    assert json.loads(json_log.getvalue().splitlines()[-1])["requestId"] == "trace-42"
    assert current_request_id() is None


async def test_a_request_without_id_gets_a_new_one() -> None:
    async with _client(_app()) as client:
        first = await client.get("/echo")
        second = await client.get("/echo")

    generated = first.headers["X-Request-ID"]
    assert len(generated) == 32
    assert first.json()["seen"] == generated
    assert second.headers["X-Request-ID"] != generated


@pytest.mark.parametrize("unsafe", ["a b", "x" * 200, "id\u00e9", "{json}"])
async def test_an_unsafe_request_id_is_replaced(unsafe: str) -> None:
    async with _client(_app()) as client:
        response = await client.get("/echo", headers={b"X-Request-ID": unsafe.encode()})

    assert response.headers["X-Request-ID"] != unsafe
    assert len(response.headers["X-Request-ID"]) == 32


async def test_streaming_responses_pass_through() -> None:
    async with _client(_app()) as client:
        response = await client.get("/stream", headers={"X-Request-ID": "trace-s"})

    assert response.text == "one,two,three"
    assert response.headers["X-Request-ID"] == "trace-s"


async def test_a_websocket_accept_carries_the_request_id() -> None:
    sent: list[Message] = []

    async def websocket_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "websocket.accept", "subprotocol": None})
        await send({"type": "websocket.send", "text": current_request_id()})

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "websocket", "headers": [(b"x-request-id", b"ws-7")], "path": "/"}
    await RequestIdMiddleware(websocket_app)(scope, receive, send)

    assert (b"x-request-id", b"ws-7") in sent[0]["headers"]
    assert sent[1]["text"] == "ws-7"


async def test_calls_to_identity_carry_the_request_id(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.allow("cashier", Action.READ.value)
    identity = await make_identity()
    new_key = fake_identity.rotate("ES256")  # so the JWKS is fetched within the request
    calls_before = len(fake_identity.request_ids)

    async with _client(_app(identity)) as client:
        response = await client.get(
            "/guarded",
            headers={
                "Authorization": f"Bearer {fake_identity.token(key=new_key)}",
                "X-Request-ID": "trace-identity",
            },
        )

    assert response.json() == {"actor": "user:user-1"}
    assert fake_identity.jwks_requests == 2
    assert fake_identity.policy_requests == 1
    assert fake_identity.request_ids[calls_before:] == ["trace-identity", "trace-identity"]
