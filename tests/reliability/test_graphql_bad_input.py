"""Bad input to /graphql of a served process: always a clear refusal, never a 5xx or a crash.

A hand-written corpus (graphql_corpus.py: syntax errors, wrong bodies, bombs, hostile
values) and hypothesis-generated requests (random text, and schema-valid documents
with random arguments from hypothesis-graphql) are sent over HTTP to `inventory
serve`. No answer may be a 5xx, "Unexpected error." or anything that leaks the
server's inside; corpus requests must be refused and change nothing stored; the
process must still be alive at the end.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.reliability import api
from tests.reliability.graphql_corpus import BadRequest, corpus
from tests.reliability.leaks import leaks
from tests.reliability.processes import Processes
from tests.reliability.results import Report
from tests.reliability.shop_seed import stocked_shop
from tests.reliability.state import changed, snapshot

Sessions = async_sessionmaker[AsyncSession]
SCHEMA = Path(__file__).resolve().parents[2] / "graphql_schema" / "schema.graphql"
EXAMPLES = 60  # per generator
ANSWER_SECONDS = 5.0  # the longest any one request may take


def verdict(response: httpx.Response) -> str:
    """'refused', 'answered' (data served), or what is wrong with the answer."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    if 400 <= response.status_code < 500:
        return "refused"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return "200 without JSON"
    errors = body.get("errors") or []
    if any((e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR" for e in errors):
        return "unexpected error"
    data = body.get("data")
    values = list(data.values()) if isinstance(data, dict) else []
    if all(v is None for v in values):
        return "refused"  # errors, or ids that name nothing (null, like NOT_FOUND)
    payloads = [v for v in values if isinstance(v, dict) and "userErrors" in v]
    if payloads and all(p["userErrors"] for p in payloads):
        return "refused"
    return "answered"


async def send(base_url: str, token: str, request: BadRequest) -> httpx.Response:
    # A connection of its own: an answer that closes the connection cannot spoil the next.
    headers = {"content-type": request.content_type, **request.extra_headers}
    if request.authorized:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        return await http.request(request.method, "/graphql", content=request.body, headers=headers)


@pytest.mark.timeout(300)
async def test_malformed_and_hostile_graphql_requests_are_refused_and_change_nothing(
    sessions: Sessions, stack: Processes, make_token: Callable[..., str], report: Report
) -> None:
    report.category, report.scenario = "Bad input", "malformed and hostile GraphQL requests"
    shop = await stocked_shop(sessions, 1, "10")
    app = stack.serve()
    token = make_token(shop.merchant_id, "owner")
    cases = corpus(shop.stock_gids[0])
    before = await snapshot(sessions)
    outcomes: dict[str, str] = {}
    slowest = (0.0, "")
    for case in cases:
        started = time.monotonic()
        try:
            response = await send(app.url, token, case)
        except httpx.TransportError as exc:
            outcomes[case.name] = f"no answer ({type(exc).__name__})"
            continue
        seconds = time.monotonic() - started
        slowest = max(slowest, (seconds, case.name))
        found = leaks(response.text)
        outcome = f"leaks {found}" if found else verdict(response)
        outcomes[case.name] = f"took {seconds:.1f} s" if seconds > ANSWER_SECONDS else outcome
    after = await snapshot(sessions)

    expected = {case.name: case.expect for case in cases}
    wrong = {name: got for name, got in outcomes.items() if got != expected[name]}
    report.faults = f"{len(cases)} malformed / oversized / hostile requests"
    report.events_processed = len(cases)
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(
        unexpected_outcomes=wrong, slowest_seconds=round(slowest[0], 2), slowest_case=slowest[1]
    )
    report.notes = f"{len(cases) - len(wrong)}/{len(cases)} as expected; state unchanged"

    assert wrong == {}
    assert changed(before, after) == {}
    assert app.alive, app.log()


# Scalar literals, well-formed or not: a malformed one must be a validation error.
SCALARS = {
    "Decimal": st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**9).map(str),
        st.text(max_size=12),
    ).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
        st.text(max_size=12),
    ).map(nodes.String),
    "JSON": st.sampled_from(["{}", "[1]", "null"]).map(nodes.String),
}


@pytest.mark.timeout(400)
async def test_generated_graphql_requests_never_get_a_server_error(
    sessions: Sessions, stack: Processes, make_token: Callable[..., str], report: Report
) -> None:
    report.category, report.scenario = "Bad input", "generated GraphQL requests (hypothesis)"
    shop = await stocked_shop(sessions, 2, "10")
    app = stack.serve()
    token = make_token(shop.merchant_id, "owner")
    schema = SCHEMA.read_text()
    # Generated strings may hold NUL, which PostgreSQL text cannot store.
    generators = {
        "random text": st.text(max_size=300),
        "random JSON": st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(json.dumps),
        "random JSON objects": st.dictionaries(
            st.sampled_from(["query", "variables", "operationName", "extensions", "x"]),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda inner: (
                    st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4)
                ),
                max_leaves=20,
            ),
        ).map(json.dumps),
        "schema-valid queries": hypothesis_graphql.queries(schema, custom_scalars=SCALARS),
        "schema-valid mutations": hypothesis_graphql.mutations(schema, custom_scalars=SCALARS),
    }
    verdicts: Counter[str] = Counter()
    problems: list[tuple[str, str, str]] = []

    def fuzz(name: str, strategy: st.SearchStrategy[Any]) -> None:
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(document=strategy)
        def one(document: Any) -> None:
            raw = name.startswith("random JSON")
            body = document if raw else json.dumps({"query": document})
            headers = {"content-type": "application/json", "Authorization": f"Bearer {token}"}
            try:
                answer = httpx.post(f"{app.url}/graphql", content=body, headers=headers, timeout=30)
            except httpx.TransportError as exc:
                verdicts["no answer"] += 1
                problems.append((name, str(document)[:500], repr(exc)))
                return
            outcome = verdict(answer)
            if found := leaks(answer.text, body):
                outcome = f"leaks {found}"
            verdicts[outcome] += 1
            if outcome not in ("refused", "answered"):
                problems.append((name, str(document)[:500], answer.text[:500]))

        one()

    for name, strategy in generators.items():
        await asyncio.to_thread(fuzz, name, strategy)
    async with api.client(app.url) as http:
        alive = await api.graphql(http, token, "{ __typename }")
    report.faults = f"{len(generators)} generators x {EXAMPLES} examples (NUL included)"
    report.events_processed = sum(verdicts.values())
    report.events_lost = 0
    report.duplicates_applied = 0
    report.details.update(verdicts=dict(verdicts), problems=problems[:10])
    report.notes = ", ".join(f"{n} {v}" for v, n in verdicts.most_common())

    assert problems == []
    assert alive.status_code == 200
    assert app.alive, app.log()
