"""Forged JWTs against a served process: refused on /graphql, /v1 and the websocket.

Run against both identities a deployment can have: the built-in development identity
(ES256, its own key) and a remote identity (the fake identity service, RS256 — the
classic target of the HS256-keyed-with-the-public-key attack). forgery.py builds the
tokens; a valid token of the same identity is the control.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.auth.actions import Action
from app.auth.dev import ALGORITHM, DevSigningKey
from app.settings import Settings
from tests.fakes.identity_server import AUDIENCE, ISSUER, FakeIdentityServer
from tests.reliability import api
from tests.reliability.forgery import RealIdentity, forgeries
from tests.reliability.leaks import leaks
from tests.reliability.processes import Processes, ServiceProcess
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop
from tests.reliability.state import changed, snapshot

Sessions = async_sessionmaker[AsyncSession]
LOCATIONS = "{ locations { totalCount nodes { id name } } }"
V1_LOCATIONS = "/v1/api/inventory/locations"
ADJUST = "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { code } } }"


@dataclass(frozen=True)
class Target:
    kind: str
    app: ServiceProcess
    real: RealIdentity


@pytest.fixture(params=["development identity (ES256)", "remote identity (RS256)"])
async def target(
    request: pytest.FixtureRequest,
    sessions: Sessions,
    served_app: ServiceProcess,
    signing_key: DevSigningKey,
    identity_server: FakeIdentityServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Target, list[str]]]:
    shop = await stocked_shop(sessions, 1, "10")
    if request.param.startswith("development"):
        defaults = Settings()
        real = RealIdentity(
            signing_key.private_key,
            ALGORITHM,
            signing_key.kid,
            defaults.identity_issuer,
            defaults.identity_audience,
            shop.merchant_id,
        )
        yield Target(request.param, served_app, real), shop.stock_gids
        return
    fake = identity_server.reset()
    for action in Action:
        fake.allow("owner", action.value)
    key = fake.current_key
    real = RealIdentity(key.private_key, key.algorithm, key.kid, ISSUER, AUDIENCE, shop.merchant_id)
    stack: Processes = request.getfixturevalue("stack")
    app = stack.serve(
        IDENTITY_URL=identity_server.url, IDENTITY_ISSUER=ISSUER, IDENTITY_AUDIENCE=AUDIENCE
    )
    yield Target(request.param, app, real), shop.stock_gids


async def test_forged_tokens_are_refused_everywhere_and_change_nothing(
    sessions: Sessions, target: tuple[Target, list[str]], report: Report
) -> None:
    (where, stocks) = target
    report.category = "Attacks"
    report.scenario = f"JWT forgery, {where.kind}"
    tokens = forgeries(where.real, other_merchant=uuid.uuid4())
    valid = where.real.sign(where.real.claims())
    adjust = {"i": api.adjust_input(stocks[0], "5")}
    before = await snapshot(sessions)
    async with api.client(where.app.url) as http:
        control = (
            await api.graphql(http, valid, LOCATIONS),
            await http.get(V1_LOCATIONS, headers=_bearer(valid)),
            await _websocket_accepts(where.app, valid),
        )
        let_in: dict[str, str] = {}
        statuses: dict[str, list[int]] = {}
        for name, token in tokens.items():
            read = await api.graphql(http, token, LOCATIONS)
            write = await api.graphql(http, token, ADJUST, adjust)
            rest = await http.get(V1_LOCATIONS, headers=_bearer(token))
            socket_ok = await _websocket_accepts(where.app, token)
            statuses[name] = [read.status_code, write.status_code, rest.status_code]
            problems = [
                f"{label} {r.status_code}"
                for label, r in (("graphql read", read), ("graphql write", write), ("/v1", rest))
                if not _refused(r)
            ]
            if socket_ok:
                problems.append("websocket acknowledged")
            if found := [p for r in (read, write, rest) for p in leaks(r.text)]:
                problems.append(f"leaks {found}")
            if problems:
                let_in[name] = ", ".join(problems)
    after = await snapshot(sessions)
    report.faults = f"{len(tokens)} forged tokens x (GraphQL read, write, /v1, websocket)"
    report.events_processed = 4 * len(tokens)
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(let_in=let_in, statuses=statuses)
    report.notes = (
        f"{len(tokens) - len(let_in)}/{len(tokens)} forgeries refused on all four ways in"
    )

    assert [r.status_code for r in control[:2]] == [200, 200], [r.text for r in control[:2]]
    assert control[2], "the valid token was not accepted on the websocket"
    assert let_in == {}
    assert changed(before, after) == {}
    assert where.app.alive, where.app.log()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(response: httpx.Response) -> bool:
    """401 (or another 4xx for a token too big to read), with nothing of the merchant's."""
    if not 400 <= response.status_code < 500:
        return False
    body = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    return not body.get("data")


async def _websocket_accepts(app: ServiceProcess, token: str) -> bool:
    """Whether connection_init with this token is acknowledged."""
    url = app.url.replace("http", "ws") + "/graphql"
    try:
        async with connect(
            url,
            subprotocols=[Subprotocol("graphql-transport-ws")],
            open_timeout=10,
            close_timeout=2,
            max_size=2**20,
        ) as ws:
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                )
            )
            reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return bool(reply.get("type") == "connection_ack")
    except ConnectionClosed:
        return False
