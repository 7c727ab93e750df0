"""`inventory serve` with ENVIRONMENT=production: no introspection, no suggestions, no
GraphiQL, no development identity, and errors that show nothing of the inside — also
while the database refuses connections.

Production needs real services: the session's PostgreSQL (a database of this test's
own, so it can be closed), the session's broker, the fake identity service and Redis
for the broadcast and the caches.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import pytest
from graphql import get_introspection_query

from app.auth.actions import Action
from app.auth.routes import DEV_JWKS_PATH
from app.db.migrate import upgrade_to_head
from tests.fakes.identity_server import AUDIENCE, ISSUER, FakeIdentityServer
from tests.fixtures.database import with_database
from tests.fixtures.server_dirs import ServerDir
from tests.reliability import api
from tests.reliability.leaks import leaks
from tests.reliability.postgres_server import RestartablePostgres
from tests.reliability.processes import Processes, ServiceProcess
from tests.reliability.results import Report

LOCATIONS = "{ locations { totalCount } }"
ADJUST = (
    'mutation { stockAdjust(input: {stock: {stockId: "U3RvY2s6eA=="}, delta: "1", reason: "r"})'
    " { userErrors { code } } }"
)


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def own_postgres(
    server_dir: ServerDir,
) -> AsyncIterator[RestartablePostgres]:
    """A PostgreSQL server of this test's own, migrated, that the test may stop."""
    server = RestartablePostgres(server_dir("prod-pg") / "data")
    url = await asyncio.to_thread(server.start)
    await asyncio.to_thread(upgrade_to_head, url)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.close)


@pytest.fixture
async def closable_database(pg_server_url: str) -> AsyncIterator[tuple[str, str]]:
    """(url, name) of a migrated database of this test's own."""
    name = f"reliability_prod_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_plain(pg_server_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(pg_server_url, name)
    await asyncio.to_thread(upgrade_to_head, url)
    try:
        yield url, name
    finally:
        admin = await asyncpg.connect(_plain(pg_server_url))
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.mark.timeout(300)
async def test_production_refuses_introspection_and_shows_nothing_of_its_inside(
    stack: Processes,
    own_postgres: RestartablePostgres,
    kafka_bootstrap: str,
    identity_server: FakeIdentityServer,
    redis_url: str,
    report: Report,
) -> None:
    report.category, report.scenario = "Attacks", "production mode: introspection, leaks"
    app, token = _production(stack, own_postgres.url, kafka_bootstrap, identity_server, redis_url)
    answers: dict[str, httpx.Response] = {}
    async with api.client(app.url) as http:
        served = await api.graphql(http, token, LOCATIONS)
        answers["introspection query"] = await api.graphql(http, token, get_introspection_query())
        answers["__type"] = await api.graphql(http, token, '{ __type(name: "Stock") { name } }')
        answers["misspelt field"] = await api.graphql(http, token, "{ locatons { totalCount } }")
        answers["syntax error"] = await api.graphql(http, token, "{ locations { totalCount }")
        answers["bad variable"] = await api.graphql(
            http, token, "query($n: Int) { stocks(first: $n) { totalCount } }", {"n": "x"}
        )
        answers["NUL in a reason"] = await api.graphql(
            http, token, ADJUST.replace('reason: "r"', 'reason: "a\\u0000b"')
        )
        graphiql = await http.get("/graphql", headers={"accept": "text/html"})
        dev_keys = await http.get(DEV_JWKS_PATH)
        await asyncio.to_thread(own_postgres.stop, "fast")
        try:
            answers["GraphQL read, database down"] = await api.graphql(http, token, LOCATIONS)
            answers["GraphQL write, database down"] = await api.graphql(http, token, ADJUST)
            answers["/v1, database down"] = await http.get(
                "/v1/api/inventory/locations", headers={"Authorization": f"Bearer {token}"}
            )
        finally:
            await asyncio.to_thread(own_postgres.resume)
        recovered = await _recovers(http, token)

    leaked = {name: found for name, r in answers.items() if (found := leaks(r.text))}
    with_data = [name for name, r in answers.items() if _has_data(r)]
    suggestion = "Did you mean" in answers["misspelt field"].text
    report.faults = "PostgreSQL stopped for 3 requests"
    report.faults_injected = 1
    report.events_processed = len(answers) + 2
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(
        statuses={name: r.status_code for name, r in answers.items()},
        codes={name: _codes(r) for name, r in answers.items()},
        leaked=leaked,
        graphiql_status=graphiql.status_code,
        dev_jwks_status=dev_keys.status_code,
    )
    report.notes = (
        f"introspection refused, no suggestions, no GraphiQL, no dev identity; "
        f"{len(answers) - len(leaked)}/{len(answers)} error answers clean"
    )

    assert served.status_code == 200, served.text
    assert "errors" not in served.json(), served.text
    assert leaked == {}
    assert with_data == []
    assert not suggestion
    assert "introspection has been disabled" in answers["__type"].text
    assert "text/html" not in graphiql.headers.get("content-type", "")
    assert dev_keys.status_code == 404
    assert answers["/v1, database down"].status_code == 503
    assert recovered
    assert app.alive, app.log()


def _production(
    stack: Processes,
    database_url: str,
    kafka_bootstrap: str,
    identity_server: FakeIdentityServer,
    redis_url: str,
) -> tuple[ServiceProcess, str]:
    """A production `inventory serve` and an owner token of the identity it trusts."""
    fake = identity_server.reset()
    for action in Action:
        fake.allow("owner", action.value)
    run = uuid.uuid4().hex[:8]
    app = stack.serve(
        ENVIRONMENT="production",
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        KAFKA_CONSUMER_GROUP=f"reliability-prod-{run}",
        REALTIME_CONSUMER_GROUP=f"reliability-prod-realtime-{run}",
        IDENTITY_URL=identity_server.url,
        IDENTITY_ISSUER=ISSUER,
        IDENTITY_AUDIENCE=AUDIENCE,
        BROADCAST_URL=redis_url,
        REDIS_URL=redis_url,
    )
    return app, fake.token(merchant_id=str(uuid.uuid4()), role="owner", sub="prod-tester")


async def test_v1_answers_503_while_the_database_refuses_connections(
    stack: Processes,
    closable_database: tuple[str, str],
    pg_server_url: str,
    kafka_bootstrap: str,
    identity_server: FakeIdentityServer,
    redis_url: str,
    report: Report,
) -> None:
    report.category, report.scenario = "Faults", "/v1 while the database refuses connections -> 503"
    report.regression(
        "500 on SQLSTATE 55000", "7820b37", faults="database refusing connections (55000)"
    )
    database_url, database = closable_database
    app, token = _production(stack, database_url, kafka_bootstrap, identity_server, redis_url)
    async with api.client(app.url) as http:
        await _close(pg_server_url, database)
        try:
            answer = await http.get(
                "/v1/api/inventory/locations", headers={"Authorization": f"Bearer {token}"}
            )
        finally:
            await _reopen(pg_server_url, database)

    assert leaks(answer.text) == []
    assert answer.status_code == 503


async def _close(admin_url: str, database: str) -> None:
    """No new connections, and the open ones ended: the database is gone for the app."""
    admin = await asyncpg.connect(_plain(admin_url))
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await admin.close()


async def _reopen(admin_url: str, database: str) -> None:
    admin = await asyncpg.connect(_plain(admin_url))
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def _recovers(http: httpx.AsyncClient, token: str) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = await api.graphql(http, token, LOCATIONS)
        if answer.status_code == 200 and "errors" not in answer.json():
            return True
        await asyncio.sleep(0.5)
    return False


def _has_data(response: httpx.Response) -> bool:
    try:
        body: dict[str, Any] = response.json()
    except json.JSONDecodeError:
        return False
    data = body.get("data")
    return isinstance(data, dict) and any(
        v is not None and not (isinstance(v, dict) and v.get("userErrors")) for v in data.values()
    )


def _codes(response: httpx.Response) -> list[str]:
    try:
        body: dict[str, Any] = response.json()
    except json.JSONDecodeError:
        return []
    errors = body.get("errors") or ([body["error"]] if "error" in body else [])
    return [str(e.get("code") or (e.get("extensions") or {}).get("code")) for e in errors]
