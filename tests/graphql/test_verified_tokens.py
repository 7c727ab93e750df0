"""Verified tokens are remembered until they expire (a minute at most); refusals are not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.auth.errors import Unauthenticated
from app.auth.principal import Principal
from graphql_schema.verified_tokens import VerifiedTokens
from tests.graphql.conftest import MERCHANT_A, Http

NOW = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class CountingIdentity:
    """Accepts "good-*" tokens, valid for `lifetime` seconds from NOW; counts each check."""

    def __init__(self, lifetime: float = 3600) -> None:
        self.checked: list[str | None] = []
        self.lifetime = lifetime

    async def authenticate(self, authorization: str | None) -> Principal:
        self.checked.append(authorization)
        if authorization is None or not authorization.startswith("Bearer good"):
            raise Unauthenticated("invalid token")
        return Principal(
            subject=authorization,
            merchant_id=MERCHANT_A,
            role="owner",
            is_service=False,
            expires_at=datetime.fromtimestamp(NOW + self.lifetime, UTC),
        )


async def test_a_verified_token_is_answered_from_memory() -> None:
    identity = CountingIdentity()
    tokens = VerifiedTokens(identity, clock=Clock())

    first = await tokens.authenticate("Bearer good-1")
    again = [await tokens.authenticate("Bearer good-1") for _ in range(3)]

    assert identity.checked == ["Bearer good-1"]
    assert again == [first] * 3


async def test_an_expired_token_is_verified_again() -> None:
    identity = CountingIdentity(lifetime=30)
    clock = Clock()
    tokens = VerifiedTokens(identity, clock=clock)
    await tokens.authenticate("Bearer good-1")

    clock.now = NOW + 30
    await tokens.authenticate("Bearer good-1")

    assert identity.checked == ["Bearer good-1"] * 2


async def test_a_token_is_verified_again_after_the_maximum_age() -> None:
    identity = CountingIdentity()
    clock = Clock()
    tokens = VerifiedTokens(identity, max_age=60, clock=clock)
    await tokens.authenticate("Bearer good-1")

    clock.now = NOW + 59
    await tokens.authenticate("Bearer good-1")
    clock.now = NOW + 60
    await tokens.authenticate("Bearer good-1")

    assert identity.checked == ["Bearer good-1"] * 2


async def test_refused_tokens_are_checked_every_time() -> None:
    identity = CountingIdentity()
    tokens = VerifiedTokens(identity, clock=Clock())

    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await tokens.authenticate("Bearer bad")
        with pytest.raises(Unauthenticated):
            await tokens.authenticate(None)

    assert identity.checked == ["Bearer bad", None, "Bearer bad", None]


async def test_the_least_recently_used_token_leaves_first() -> None:
    identity = CountingIdentity()
    tokens = VerifiedTokens(identity, max_tokens=2, clock=Clock())
    for token in ("Bearer good-1", "Bearer good-2", "Bearer good-1", "Bearer good-3"):
        await tokens.authenticate(token)

    identity.checked.clear()
    for token in ("Bearer good-1", "Bearer good-3", "Bearer good-2"):
        await tokens.authenticate(token)

    assert identity.checked == ["Bearer good-2"]


async def test_the_route_still_refuses_a_bad_token_after_a_good_one(http: Http) -> None:
    query = "{ stocks { nodes { id } } }"
    good = await http.post(query)
    again = await http.post(query)
    bad = await http.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": "Bearer nonsense"}
    )

    assert (good.status_code, again.status_code, bad.status_code) == (200, 200, 401)
    assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
