"""Token verification against the fake identity's JWKS: what passes and what is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from app.auth.errors import Unauthenticated
from tests.auth.conftest import BuildIdentity
from tests.fakes.identity_server import FakeIdentityState, SigningKey

MERCHANT = uuid.UUID(int=1)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_made(header: Mapping[str, object], claims: Mapping[str, object], secret: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _tamper_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _swap_payload(token: str, claims: dict[str, object]) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"


def _alg_none(state: FakeIdentityState) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": state.current_key.kid}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(state.claims()).encode())}."


def _hs256_with_public_key(state: FakeIdentityState) -> str:
    public_pem = state.current_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": state.current_key.kid}
    return _hand_made(header, state.claims(), public_pem)


def _hs256_with_public_jwk(state: FakeIdentityState) -> str:
    jwk = json.dumps(state.current_key.public_jwk()).encode()
    header = {"alg": "HS256", "typ": "JWT", "kid": state.current_key.kid}
    return _hand_made(header, state.claims(), jwk)


def _unknown_key(state: FakeIdentityState) -> str:
    return state.token(key=SigningKey.generate("ES256"))


def _no_kid(state: FakeIdentityState) -> str:
    key = state.current_key
    return jwt.encode(state.claims(), key.private_key, algorithm=key.algorithm)


def _header_alg_not_the_keys(state: FakeIdentityState) -> str:
    """ES256 in the header with the kid of the RSA key."""
    other = SigningKey.generate("ES256")
    return jwt.encode(
        state.claims(), other.private_key, algorithm="ES256", headers={"kid": state.current_key.kid}
    )


REFUSED: dict[str, tuple[Callable[[FakeIdentityState], str], str]] = {
    "expired": (lambda s: s.token(exp=int(time.time()) - 120), "expired"),
    "not yet valid": (lambda s: s.token(nbf=int(time.time()) + 120), "not yet valid"),
    "issued in the future": (lambda s: s.token(iat=int(time.time()) + 120), "not yet valid"),
    "wrong issuer": (lambda s: s.token(iss="https://evil.test"), "issuer"),
    "wrong audience": (lambda s: s.token(aud="payments"), "audience"),
    "tampered signature": (lambda s: _tamper_signature(s.token()), "signature"),
    "tampered claims": (
        lambda s: _swap_payload(s.token(), s.claims(merchant_id=str(uuid.UUID(int=2)))),
        "signature",
    ),
    "alg none": (_alg_none, "not accepted"),
    "HS256 signed with the public key": (_hs256_with_public_key, "not accepted"),
    "HS256 signed with the public JWK": (_hs256_with_public_jwk, "not accepted"),
    "unknown kid": (_unknown_key, "unknown key"),
    "no kid": (_no_kid, "kid"),
    "header alg is not the key's": (_header_alg_not_the_keys, "does not match"),
    "missing merchant_id": (lambda s: s.token(merchant_id=None), "merchant_id"),
    "missing exp": (lambda s: s.token(exp=None), "exp"),
    "missing iss": (lambda s: s.token(iss=None), "iss"),
    "missing aud": (lambda s: s.token(aud=None), "aud"),
    "missing sub": (lambda s: s.token(sub=None), "sub"),
    "merchant_id not a UUID": (lambda s: s.token(merchant_id="merchant-1"), "merchant_id"),
    "not a JWT": (lambda s: "not-a-jwt", "malformed"),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_bad_tokens_are_refused(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity, case: str
) -> None:
    forge, reason = REFUSED[case]
    identity = await make_identity()

    with pytest.raises(Unauthenticated) as refused:
        await identity.authenticate(f"Bearer {forge(fake_identity)}")

    assert reason in refused.value.reason
    assert refused.value.code == "UNAUTHENTICATED"


async def test_valid_user_token_gives_its_principal(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()
    exp = int(time.time()) + 300

    principal = await identity.authenticate(
        "Bearer " + fake_identity.token(sub="user-7", role="manager", exp=exp)
    )

    assert principal.subject == "user-7"
    assert principal.merchant_id == MERCHANT
    assert principal.role == "manager"
    assert principal.is_service is False
    assert int(principal.expires_at.timestamp()) == exp
    assert principal.actor == "user:user-7"


async def test_a_bare_token_is_accepted_like_a_bearer_one(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()

    principal = await identity.authenticate(fake_identity.token())

    assert principal.merchant_id == MERCHANT


async def test_es256_tokens_pass(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    es_key = fake_identity.rotate("ES256")
    identity = await make_identity()

    principal = await identity.authenticate("Bearer " + fake_identity.token(key=es_key))

    assert principal.merchant_id == MERCHANT


async def test_service_token_may_omit_the_merchant(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()
    token = fake_identity.token(sub="commerce", typ="service", merchant_id=None, role=None)

    principal = await identity.authenticate(f"Bearer {token}")

    assert principal.is_service is True
    assert principal.merchant_id is None
    assert principal.actor == "service:commerce"


async def test_audience_list_containing_ours_passes(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()

    principal = await identity.authenticate(fake_identity.token(aud=["sale", "inventory"]))

    assert principal.subject == "user-1"


async def test_expiry_within_the_leeway_passes(
    fake_identity: FakeIdentityState, make_identity: BuildIdentity
) -> None:
    identity = await make_identity()

    principal = await identity.authenticate(fake_identity.token(exp=int(time.time()) - 10))

    assert principal.subject == "user-1"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "no bearer token"),
        ("", "no bearer token"),
        ("Bearer", "Authorization must be"),
        ("Basic dXNlcjpwYXNz", "Authorization must be"),
        ("Bearer a b", "Authorization must be"),
    ],
)
async def test_missing_or_odd_authorization_is_refused(
    fake_identity: FakeIdentityState,
    make_identity: BuildIdentity,
    authorization: str | None,
    reason: str,
) -> None:
    identity = await make_identity()

    with pytest.raises(Unauthenticated) as refused:
        await identity.authenticate(authorization)

    assert reason in refused.value.reason
