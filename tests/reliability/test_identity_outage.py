"""Identity goes down: what was cached keeps serving, nothing new gets in.

`inventory serve` runs against the fake identity service (real HTTP, a `failing`
switch) and real Redis. Keys and a permission are fetched while identity is up;
then it answers 503 to everything, past the permission's TTL. Cached keys and the
cached (now stale) permission keep serving tokens never seen before; a token
signed by a key identity never published, a role never asked about, and an action
never asked about are all refused, and change nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.actions import Action
from app.db import tables as t
from tests.fakes.identity_server import AUDIENCE, ISSUER, FakeIdentityServer, SigningKey
from tests.reliability import api
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop
from tests.rest.seed import count

Sessions = async_sessionmaker[AsyncSession]
LOCATIONS = "{ locations { totalCount nodes { id } } }"
V1_LOCATIONS = "/v1/api/inventory/locations"
POLICY_TTL_SECONDS = 1


async def test_cached_keys_and_permissions_serve_while_identity_is_down_and_nothing_new_gets_in(
    sessions: Sessions,
    stack: Processes,
    identity_server: FakeIdentityServer,
    redis_url: str,
    report: Report,
) -> None:
    report.category, report.scenario = "Faults", "identity service down"
    fake = identity_server.reset()
    # Roles of this run only: Redis is shared, and a cached answer of another run must not help.
    cashier, stranger = f"cashier-{uuid.uuid4().hex[:6]}", f"auditor-{uuid.uuid4().hex[:6]}"
    fake.allow(cashier, Action.READ.value)
    fake.allow(stranger, Action.READ.value, Action.STOCK_ADJUST.value)
    fake.ttl_seconds = POLICY_TTL_SECONDS
    shop = await stocked_shop(sessions, 1, "10")
    app = stack.serve(
        IDENTITY_URL=identity_server.url,
        IDENTITY_ISSUER=ISSUER,
        IDENTITY_AUDIENCE=AUDIENCE,
        REDIS_URL=redis_url,
    )
    merchant = str(shop.merchant_id)
    seen = fake.token(merchant_id=merchant, role=cashier, sub="till-1")
    async with api.client(app.url) as http:
        warm_graphql = await api.graphql(http, seen, LOCATIONS)
        warm_rest = await http.get(V1_LOCATIONS, headers=_bearer(seen))

        fake.failing = True
        await asyncio.sleep(POLICY_TTL_SECONDS + 0.5)  # the cached answer is now past its TTL
        policy_calls, jwks_calls = fake.policy_requests, fake.jwks_requests
        never_seen = fake.token(merchant_id=merchant, role=cashier, sub="till-2")
        served = {
            "same token, GraphQL": await api.graphql(http, seen, LOCATIONS),
            "same token, /v1": await http.get(V1_LOCATIONS, headers=_bearer(seen)),
            "new token of a cached key and role": await api.graphql(http, never_seen, LOCATIONS),
        }
        unpublished_key = SigningKey.generate("ES256")
        foreign = fake.token(unpublished_key, merchant_id=merchant, role=cashier)
        uncached_role = fake.token(merchant_id=merchant, role=stranger)
        adjust = {"input": api.adjust_input(shop.stock_gids[0], "5")}
        movements_before = await count(sessions, "stock_movement")
        refused = {
            "unknown kid, GraphQL": await api.graphql(http, foreign, LOCATIONS),
            "unknown kid, /v1": await http.get(V1_LOCATIONS, headers=_bearer(foreign)),
            "role never cached, GraphQL": await api.graphql(http, uncached_role, LOCATIONS),
            "role never cached, /v1": await http.get(V1_LOCATIONS, headers=_bearer(uncached_role)),
            "action never cached": await api.graphql(http, seen, api.STOCK_ADJUST, adjust),
            "role never cached, mutation": await api.graphql(
                http, uncached_role, api.STOCK_ADJUST, adjust
            ),
        }
        movements_after = await count(sessions, "stock_movement")
    on_hand = await _on_hand(sessions, shop.stock_ids[0])
    let_in = {name: r.status_code for name, r in refused.items() if _has_data(r)}
    not_served = {name: r.text[:200] for name, r in served.items() if not _served(r)}
    report.faults, report.faults_injected = "identity answers 503 (JWKS and policy)", 1
    report.events_processed = len(served) + len(refused)
    report.events_lost = len(not_served)
    report.duplicates_applied = 0
    report.details.update(
        served=len(served) - len(not_served),
        refused=len(refused) - len(let_in),
        refusal_statuses={name: r.status_code for name, r in refused.items()},
        identity_calls_while_down=(fake.policy_requests - policy_calls)
        + (fake.jwks_requests - jwks_calls),
    )
    report.notes = (
        f"{len(served) - len(not_served)}/{len(served)} cached requests served, "
        f"{len(refused) - len(let_in)}/{len(refused)} uncached ones refused"
    )

    assert _served(warm_graphql), warm_graphql.text
    assert warm_rest.status_code == 200, warm_rest.text
    assert not_served == {}
    assert let_in == {}
    for name in ("unknown kid, GraphQL", "unknown kid, /v1", "role never cached, /v1"):
        assert refused[name].status_code in (401, 503), (name, refused[name].text)
    graphql_refusals = ("role never cached, GraphQL", "action never cached")
    for name in (*graphql_refusals, "role never cached, mutation"):
        assert _codes(refused[name]) <= {"UNAVAILABLE", "FORBIDDEN"}, refused[name].text
        assert _codes(refused[name]), refused[name].text
    assert movements_after == movements_before
    assert on_hand == Decimal(10)
    assert app.alive, app.log()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _served(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    return "errors" not in body and bool(body.get("data") or body.get("items") is not None)


def _has_data(response: httpx.Response) -> bool:
    """Anything of the merchant's in the answer (a refused request has none)."""
    if response.status_code != 200:
        return False
    body = response.json()
    if "data" in body or "errors" in body:  # GraphQL
        data = body.get("data")
        return isinstance(data, dict) and any(value is not None for value in data.values())
    return "error" not in body


def _codes(response: httpx.Response) -> set[str]:
    body = response.json()
    return {e.get("extensions", {}).get("code") for e in body.get("errors") or ()}


async def _on_hand(sessions: Sessions, stock_id: uuid.UUID) -> Decimal:
    async with sessions() as session:
        value = await session.scalar(select(t.stock.c.on_hand).where(t.stock.c.id == stock_id))
    assert value is not None
    return Decimal(value)
