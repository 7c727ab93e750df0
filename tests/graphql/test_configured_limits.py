"""The GraphQL limits come from the environment (GRAPHQL_MAX_DEPTH, …): the real route
enforces the configured ones, and an invalid value stops the process at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.dev import DevSigningKey
from app.auth.identity import Identity
from app.domain.enums import ItemType
from app.settings import Settings, SettingsError, load_settings
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Http, graphql_test_app

Sessions = async_sessionmaker[AsyncSession]

CONFIGURED = {
    "GRAPHQL_MAX_PAGE_SIZE": "3",
    "GRAPHQL_DEFAULT_PAGE_SIZE": "2",
    "GRAPHQL_MAX_DEPTH": "4",
    "GRAPHQL_MAX_ALIASES": "2",
    "GRAPHQL_MAX_TOKENS": "60",
    "GRAPHQL_COST_BUDGET": "20",
    "GRAPHQL_COST_REFILL_PER_SECOND": "1",
}


@pytest.fixture
async def limited(
    monkeypatch: pytest.MonkeyPatch,
    settings: Settings,
    engine: AsyncEngine,
    sessions: Sessions,
    identity: Identity,
    signing_key: DevSigningKey,
) -> AsyncIterator[Http]:
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    configured = load_settings().model_dump(include={name.lower() for name in CONFIGURED})
    app_settings = settings.model_copy(update=configured)
    app = graphql_test_app(app_settings, engine, sessions, identity)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield Http(client, signing_key, app_settings)


def refusal(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    assert body["data"] is None, body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def test_the_route_enforces_the_configured_limits(limited: Http, sessions: Sessions) -> None:
    main = await seed.location(sessions, MERCHANT_A, "Main")
    for name in ("a", "b", "c"):
        await seed.stock(
            sessions,
            MERCHANT_A,
            main,
            ItemType.MATERIAL,
            await seed.material(sessions, MERCHANT_A, name),
        )

    default_page = await limited.post("{ stocks { nodes { onHand } } }")
    full_page = await limited.post("{ stocks(first: 3) { nodes { onHand } } }")
    too_big = await limited.post("{ stocks(first: 4) { nodes { onHand } } }")
    too_deep = await limited.post(
        "{ stocks(first: 1) { nodes { location { stocks { totalCount } } } } }"
    )
    too_many_aliases = await limited.post(
        "{ a: locations { totalCount } b: locations { totalCount } c: locations { totalCount } }"
    )
    too_long = await limited.post("{ " + "locations { totalCount } " * 20 + "}")
    costly = await limited.post("{ stocks(first: 3) { nodes { location { name } } } }")
    # Over the whole budget of 20: 2 * (3 * (1 + 1) + 2) + (3 * 1 + 2) = 21.
    over_budget = await limited.post(
        "{ a: stocks(first: 3) { nodes { location { name } } } "
        "b: stocks(first: 3) { nodes { location { name } } } "
        "locations(first: 3) { nodes { name } } }"
    )

    assert len(default_page.json()["data"]["stocks"]["nodes"]) == 2
    assert len(full_page.json()["data"]["stocks"]["nodes"]) == 3
    assert refusal(too_big) == "PAGE_SIZE_EXCEEDED"
    assert refusal(too_deep) == "MAX_DEPTH_EXCEEDED"
    assert refusal(too_many_aliases) == "MAX_ALIASES_EXCEEDED"
    assert refusal(too_long) == "MAX_TOKENS_EXCEEDED"
    status = costly.json()["extensions"]["cost"]["throttleStatus"]
    assert (status["maximumAvailable"], status["restoreRate"]) == (20, 1)
    assert costly.json()["extensions"]["cost"]["requestedQueryCost"] == 3 * (1 + 1) + 2
    assert refusal(over_budget) == "QUERY_TOO_COMPLEX"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRAPHQL_MAX_PAGE_SIZE", "0"),
        ("GRAPHQL_DEFAULT_PAGE_SIZE", "many"),
        ("GRAPHQL_MAX_DEPTH", "-1"),
        ("GRAPHQL_MAX_ALIASES", "1.5"),
        ("GRAPHQL_MAX_TOKENS", "0"),
        ("GRAPHQL_COST_BUDGET", ""),
        ("GRAPHQL_COST_REFILL_PER_SECOND", "0"),
    ],
)
def test_an_invalid_limit_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert name in str(raised.value)


def test_a_default_page_over_the_maximum_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRAPHQL_MAX_PAGE_SIZE", "20")
    monkeypatch.setenv("GRAPHQL_DEFAULT_PAGE_SIZE", "50")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "GRAPHQL_DEFAULT_PAGE_SIZE (50) must be at most GRAPHQL_MAX_PAGE_SIZE (20)" in str(
        raised.value
    )
