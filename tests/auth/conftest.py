from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from app.auth.client import RetryPolicy
from app.auth.identity import Identity, IdentityTuning, build_identity
from app.settings import Settings
from tests.fakes.clock import FakeClock
from tests.fakes.identity_server import AUDIENCE, ISSUER, FakeIdentityServer, FakeIdentityState

POLICY_PREFIX = "inventory:policy:"

BuildIdentity = Callable[..., Awaitable[Identity]]


@pytest.fixture(scope="session")
def identity_server() -> Iterator[FakeIdentityServer]:
    server = FakeIdentityServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_identity(identity_server: FakeIdentityServer) -> FakeIdentityState:
    return identity_server.reset()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(match=f"{POLICY_PREFIX}*")]
    if keys:
        await client.delete(*keys)
    yield client
    await client.aclose()


async def _no_sleep(seconds: float) -> None:
    return None


def remote_settings(url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "identity_url": url,
        "identity_issuer": ISSUER,
        "identity_audience": AUDIENCE,
        "redis_url": None,
        "data_dir": data_dir,
        **overrides,
    }
    return Settings(**values)


def fast_tuning(clock: FakeClock, **overrides: Any) -> IdentityTuning:
    values: dict[str, Any] = {
        "retry": RetryPolicy(attempts=2, first_delay=0.0, budget=0.5),
        "breaker_failures": 3,
        "breaker_reset_after": 30.0,
        "monotonic": clock,
        "wall_clock": clock,
        "sleep": _no_sleep,
        **overrides,
    }
    return IdentityTuning(**values)


@pytest.fixture
async def make_identity(
    identity_server: FakeIdentityServer, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[BuildIdentity]:
    """Builds remote identities on the fake server (or `url`), closed after the test."""
    built: list[Identity] = []

    async def make(
        *, redis: Redis | None = None, url: str | None = None, **tuning: Any
    ) -> Identity:
        settings = remote_settings(url or identity_server.url, tmp_path)
        identity = await build_identity(settings, redis=redis, tuning=fast_tuning(clock, **tuning))
        built.append(identity)
        return identity

    yield make
    for identity in built:
        await identity.aclose()
