"""The JWKS cache: rotation, refetch limits, and identity outages."""

from __future__ import annotations

import time

import pytest

from app.auth.errors import IdentityUnavailable, Unauthenticated
from app.embedded import free_port
from tests.auth.conftest import BuildIdentity
from tests.auth.helpers import eventually
from tests.fakes.clock import FakeClock
from tests.fakes.identity_server import FakeIdentityState, SigningKey


async def test_a_rotated_key_is_picked_up_and_the_retired_one_dropped(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    old_token = fake_identity.token()
    identity = await make_identity()
    new_key = fake_identity.rotate("ES256", keep_old=False)

    principal = await identity.authenticate(fake_identity.token(key=new_key))

    assert principal.subject == "user-1"
    assert fake_identity.jwks_requests == 2
    with pytest.raises(Unauthenticated):
        await identity.authenticate(old_token)


async def test_random_kids_cause_at_most_one_refetch_per_minute(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    identity = await make_identity()
    forgers = [SigningKey.generate("ES256") for _ in range(3)]

    for _ in range(10):
        for forger in forgers:
            with pytest.raises(Unauthenticated):
                await identity.authenticate(fake_identity.token(key=forger))
    fetches_in_first_minute = fake_identity.jwks_requests - 1
    clock.advance(61)
    for forger in [SigningKey.generate("ES256") for _ in range(3)]:
        with pytest.raises(Unauthenticated):
            await identity.authenticate(fake_identity.token(key=forger))

    assert fetches_in_first_minute == 1
    assert fake_identity.jwks_requests == 3


async def test_a_kid_missing_from_a_refetch_is_remembered(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    identity = await make_identity(unknown_kid_ttl=300.0)
    forged = fake_identity.token(key=SigningKey.generate("ES256"))
    with pytest.raises(Unauthenticated):
        await identity.authenticate(forged)
    clock.advance(61)

    with pytest.raises(Unauthenticated):
        await identity.authenticate(forged)

    assert fake_identity.jwks_requests == 2


async def test_cached_keys_keep_working_while_identity_is_down(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    identity = await make_identity()
    fake_identity.failing = True
    clock.advance(3600)  # keys are stale: a background refresh is tried and fails
    fetches = fake_identity.jwks_requests

    first = await identity.authenticate(fake_identity.token())
    await eventually(lambda: fake_identity.jwks_requests > fetches)
    second = await identity.authenticate(fake_identity.token())

    assert first.subject == second.subject == "user-1"


async def test_stale_keys_are_refreshed_in_the_background(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    old_token = fake_identity.token()
    identity = await make_identity()
    new_key = fake_identity.rotate(keep_old=False)
    clock.advance(601)

    await identity.authenticate(old_token)  # still cached: served, refresh started
    await eventually(lambda: fake_identity.jwks_requests == 2)
    await eventually(lambda: identity.keys.kids == {new_key.kid})  # type: ignore[attr-defined]

    assert (await identity.authenticate(fake_identity.token(key=new_key))).subject == "user-1"
    with pytest.raises(Unauthenticated):
        await identity.authenticate(old_token)


async def test_no_cached_keys_and_identity_down_is_unavailable(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.failing = True
    identity = await make_identity()

    with pytest.raises(IdentityUnavailable) as refused:
        await identity.authenticate(fake_identity.token())

    assert refused.value.code == "UNAVAILABLE"


async def test_unreachable_identity_with_no_cached_keys_is_unavailable(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity(url=f"http://127.0.0.1:{free_port()}")

    with pytest.raises(IdentityUnavailable):
        await identity.authenticate(fake_identity.token())


async def test_a_new_kid_while_identity_is_down_is_unavailable_not_a_bad_token(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()
    fake_identity.failing = True
    new_key = fake_identity.rotate("ES256")
    fetches = fake_identity.jwks_requests

    with pytest.raises(IdentityUnavailable):
        await identity.authenticate(fake_identity.token(key=new_key))
    after_first = fake_identity.jwks_requests
    with pytest.raises(IdentityUnavailable):
        await identity.authenticate(fake_identity.token(key=new_key))

    assert after_first > fetches
    assert fake_identity.jwks_requests == after_first


async def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_trial(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, clock: FakeClock
) -> None:
    fake_identity.failing = True
    identity = await make_identity()  # failure 1 of 3 (the start-up load)
    token = fake_identity.token()
    for _ in range(2):  # failures 2 and 3: the circuit opens
        with pytest.raises(IdentityUnavailable):
            await identity.authenticate(token)
    requests_when_opened = fake_identity.jwks_requests

    for _ in range(5):
        with pytest.raises(IdentityUnavailable) as refused:
            await identity.authenticate(token)
    assert "circuit open" in refused.value.reason
    assert fake_identity.jwks_requests == requests_when_opened

    fake_identity.failing = False
    clock.advance(31)
    assert (await identity.authenticate(token)).subject == "user-1"
    assert fake_identity.jwks_requests == requests_when_opened + 1


async def test_a_slow_identity_is_cut_off_within_the_budget(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    fake_identity.delay = 1.0
    identity = await make_identity()  # the start-up load times out too
    started = time.monotonic()

    with pytest.raises(IdentityUnavailable) as refused:
        await identity.authenticate(fake_identity.token())

    assert time.monotonic() - started < 0.9
    assert "timed out" in refused.value.reason
