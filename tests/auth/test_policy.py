"""Permissions: identity's answers, cached in process and in Redis, and the fallbacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from redis.asyncio import Redis

from app.auth.actions import Action
from app.auth.errors import Forbidden, IdentityUnavailable
from app.auth.identity import Identity, build_identity
from app.auth.principal import Principal
from app.embedded import free_port
from tests.auth.conftest import POLICY_PREFIX, BuildIdentity, fast_tuning, remote_settings
from tests.fakes.clock import FakeClock
from tests.fakes.identity_server import FakeIdentityServer, FakeIdentityState

STOCK_ADJUST = Action.STOCK_ADJUST.value


async def _cashier(identity: Identity, state: FakeIdentityState) -> Principal:
    return await identity.authenticate(state.token(role="cashier"))


async def test_an_allowed_action_passes_and_a_refused_one_is_forbidden(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    identity = await make_identity()
    cashier = await _cashier(identity, fake_identity)

    await identity.authorize(cashier, Action.STOCK_ADJUST)
    with pytest.raises(Forbidden) as refused:
        await identity.authorize(cashier, Action.LOCATION_MANAGE)

    assert refused.value.code == "FORBIDDEN"
    assert refused.value.action is Action.LOCATION_MANAGE


async def test_answers_are_cached_in_process_for_their_ttl(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    fake_identity.ttl_seconds = 60
    identity = await make_identity()
    cashier = await _cashier(identity, fake_identity)

    for _ in range(5):
        await identity.authorize(cashier, Action.STOCK_ADJUST)
    asked_within_ttl = fake_identity.policy_requests
    clock.advance(61)
    await identity.authorize(cashier, Action.STOCK_ADJUST)

    assert asked_within_ttl == 1
    assert fake_identity.policy_requests == 2


async def test_answers_are_shared_through_redis(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, redis: Redis
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    first = await make_identity(redis=redis)
    await first.authorize(await _cashier(first, fake_identity), Action.STOCK_ADJUST)
    second = await make_identity(redis=redis)  # another instance, its own process cache

    await second.authorize(await _cashier(second, fake_identity), Action.STOCK_ADJUST)

    assert fake_identity.policy_requests == 1
    stored = json.loads(await redis.get(f"{POLICY_PREFIX}cashier:{STOCK_ADJUST}") or "{}")
    assert stored["allowed"] is True


async def test_identity_down_uses_the_last_redis_answer_past_its_ttl(
    fake_identity: FakeIdentityState,
    make_identity: BuildIdentity,
    redis: Redis,
    clock: FakeClock,
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    first = await make_identity(redis=redis)
    cashier = await _cashier(first, fake_identity)
    await first.authorize(cashier, Action.STOCK_ADJUST)
    with pytest.raises(Forbidden):
        await first.authorize(cashier, Action.TRANSFER_CREATE)
    clock.advance(3600)
    fake_identity.failing = True
    restarted = await make_identity(redis=redis)  # a fresh process: only Redis remembers

    await restarted.authorize(cashier, Action.STOCK_ADJUST)
    with pytest.raises(Forbidden):
        await restarted.authorize(cashier, Action.TRANSFER_CREATE)


async def test_identity_down_and_nothing_cached_fails_closed(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, redis: Redis
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    identity = await make_identity(redis=redis)
    cashier = await _cashier(identity, fake_identity)
    fake_identity.failing = True

    with pytest.raises(IdentityUnavailable) as refused:
        await identity.authorize(cashier, Action.STOCK_ADJUST)

    assert refused.value.code == "UNAVAILABLE"


async def test_without_redis_the_last_in_process_answer_is_the_fallback(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    identity = await make_identity()
    cashier = await _cashier(identity, fake_identity)
    await identity.authorize(cashier, Action.STOCK_ADJUST)
    clock.advance(3600)
    fake_identity.failing = True

    await identity.authorize(cashier, Action.STOCK_ADJUST)


async def test_an_unreachable_redis_only_costs_cache_hits(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    try:
        identity = await make_identity(redis=dead)
        await identity.authorize(await _cashier(identity, fake_identity), Action.STOCK_ADJUST)
    finally:
        await dead.aclose()

    assert fake_identity.policy_requests == 1


async def test_redis_url_from_settings_is_used_and_closed_with_the_identity(
    fake_identity: FakeIdentityState,
    identity_server: FakeIdentityServer,
    redis_url: str,
    redis: Redis,
    clock: FakeClock,
    tmp_path: Path,
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    settings = remote_settings(identity_server.url, tmp_path, redis_url=redis_url)
    identity = await build_identity(settings, tuning=fast_tuning(clock))
    try:
        await identity.authorize(await _cashier(identity, fake_identity), Action.STOCK_ADJUST)
    finally:
        await identity.aclose()

    assert await redis.exists(f"{POLICY_PREFIX}cashier:{STOCK_ADJUST}") == 1


async def test_a_service_token_without_role_is_checked_as_role_service(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.allow("service", Action.PRODUCT_VARIANT_SYNC.value)
    identity = await make_identity()
    token = fake_identity.token(typ="service", role=None, merchant_id=None, sub="commerce")
    commerce = await identity.authenticate(token)

    await identity.authorize(commerce, Action.PRODUCT_VARIANT_SYNC)

    assert fake_identity.policy_requests == 1


async def test_a_user_without_role_is_forbidden_without_asking(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()
    nobody = await identity.authenticate(fake_identity.token(role=None))

    with pytest.raises(Forbidden):
        await identity.authorize(nobody, Action.READ)

    assert fake_identity.policy_requests == 0


async def test_an_identity_outage_keeps_serving_known_callers(
    fake_identity: FakeIdentityState,
    make_identity: BuildIdentity,
    redis: Redis,
    clock: FakeClock,
) -> None:
    fake_identity.allow("cashier", STOCK_ADJUST)
    identity = await make_identity(redis=redis)
    token = fake_identity.token(role="cashier")
    await identity.authorize(await identity.authenticate(token), Action.STOCK_ADJUST)
    fake_identity.failing = True
    clock.advance(3600)

    for _ in range(10):
        cashier = await identity.authenticate(token)
        await identity.authorize(cashier, Action.STOCK_ADJUST)

    assert cashier.role == "cashier"
