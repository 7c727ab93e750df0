"""Forged and broken JWTs: what an attacker can build knowing the public key and a kid.

`forgeries(real)` returns name → token; every one must be refused. `real` describes the
identity under attack: its private key signs the variants that are validly signed but
carry bad claims (an attacker cannot make those, but a buggy claim check would let a
leaked or stale token through); the rest need no private key at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, get_default_algorithms

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class RealIdentity:
    private_key: PrivateKey
    algorithm: str  # ES256 or RS256
    kid: str
    issuer: str
    audience: str
    merchant_id: uuid.UUID
    role: str = "owner"

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "attacker",
            "merchant_id": str(self.merchant_id),
            "role": self.role,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], **headers: Any) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=self.algorithm, headers={"kid": self.kid, **headers}
        )

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(document: dict[str, Any]) -> str:
    return _b64(json.dumps(document, separators=(",", ":")).encode())


def hand_made(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A token assembled by hand: HMAC-SHA256 over it with `secret`, or no signature."""
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = (
        b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{_b64(signature)}"


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    header, _, signature = token.split(".")
    return f"{header}.{_segment(claims)}.{signature}"


def _swap_header(token: str, header: dict[str, Any]) -> str:
    _, payload, signature = token.split(".")
    return f"{_segment(header)}.{payload}.{signature}"


def _flip_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{payload}.{_b64(bytes(raw))}"


def forgeries(real: RealIdentity, other_merchant: uuid.UUID) -> dict[str, str]:
    claims = real.claims()
    valid = real.sign(claims)
    pem = real.public_pem()
    jwk_text = get_default_algorithms()[real.algorithm].to_jwk(real.private_key.public_key())
    attacker = ec.generate_private_key(ec.SECP256R1())
    attacker_jwk = {**ECAlgorithm.to_jwk(attacker.public_key(), as_dict=True), "kid": "attacker"}
    past = datetime.now(UTC) - timedelta(hours=2)
    future = datetime.now(UTC) + timedelta(hours=2)
    header = {"alg": real.algorithm, "typ": "JWT", "kid": real.kid}
    return {
        "alg none": hand_made({**header, "alg": "none"}, claims, None),
        "alg None": hand_made({**header, "alg": "None"}, claims, None),
        "alg NONE, a signature left on": _swap_header(valid, {**header, "alg": "NONE"}),
        "no alg": hand_made({"typ": "JWT", "kid": real.kid}, claims, None),
        "HS256 keyed with the public key PEM": hand_made({**header, "alg": "HS256"}, claims, pem),
        "HS256 keyed with the public JWK": hand_made(
            {**header, "alg": "HS256"}, claims, jwk_text.encode()
        ),
        "HS256 with an empty key": hand_made({**header, "alg": "HS256"}, claims, b""),
        "HS512 keyed with the public key PEM": _hs512({**header, "alg": "HS512"}, claims, pem),
        "payload swapped to another merchant": _swap_payload(
            valid, real.claims(merchant_id=str(other_merchant))
        ),
        "payload swapped to role owner": _swap_payload(
            real.sign(real.claims(role="kitchen")), claims
        ),
        "expiry extended in the payload": _swap_payload(
            real.sign(real.claims(exp=int(past.timestamp()))), claims
        ),
        "signature bit flipped": _flip_signature(valid),
        "signature stripped": valid.rsplit(".", 1)[0] + ".",
        "signed by another key with the real kid": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": real.kid}
        ),
        "the other allowed algorithm on the real kid": _other_algorithm(real, claims, attacker),
        "own key embedded in a jwk header": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "attacker", "jwk": attacker_jwk}
        ),
        "own key behind a jku header": jwt.encode(
            claims,
            attacker,
            algorithm="ES256",
            headers={"kid": "attacker", "jku": "http://127.0.0.1:9/jwks.json"},
        ),
        "own key behind an x5u header": jwt.encode(
            claims,
            attacker,
            algorithm="ES256",
            headers={"kid": "attacker", "x5u": "http://127.0.0.1:9/cert.pem"},
        ),
        "kid path traversal, HS256 keyed with empty": hand_made(
            {"alg": "HS256", "typ": "JWT", "kid": "../../../../../../dev/null"}, claims, b""
        ),
        "kid path traversal, own key": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "../../../../../../dev/null"}
        ),
        "kid SQL injection": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "x' OR '1'='1"}
        ),
        "kid URL": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "http://127.0.0.1:9/key.pem"}
        ),
        "kid of 10 KB": jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "k" * 10_000}
        ),
        "kid a number": hand_made({**header, "kid": 1}, claims, None),
        "expired an hour ago": real.sign(
            real.claims(
                iat=int(past.timestamp()),
                nbf=int(past.timestamp()),
                exp=int((past + timedelta(hours=1)).timestamp()),
            )
        ),
        "not valid for two hours": real.sign(real.claims(nbf=int(future.timestamp()))),
        "wrong audience": real.sign(real.claims(aud="billing")),
        "wrong issuer": real.sign(real.claims(iss="https://evil.example")),
        "no expiry": real.sign(real.claims(exp=None)),
        "no audience": real.sign(real.claims(aud=None)),
        "no subject": real.sign(real.claims(sub=None)),
        "no merchant on a user token": real.sign(real.claims(merchant_id=None)),
        "merchant not a UUID": real.sign(real.claims(merchant_id="' OR 1=1 --")),
        "role not a string": real.sign(real.claims(role=["owner"])),
        "two segments": ".".join(valid.split(".")[:2]),
        "four segments": valid + ".extra",
        "not base64": "%%%.%%%.%%%",
        "100 KB token": valid + "A" * 100_000,
    }


def _hs512(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha512).digest()
    return f"{signing_input}.{_b64(signature)}"


def _other_algorithm(
    real: RealIdentity, claims: dict[str, Any], attacker: ec.EllipticCurvePrivateKey
) -> str:
    """Signed with the allowed algorithm the real key is not, under the real kid."""
    if real.algorithm == "RS256":
        return jwt.encode(claims, attacker, algorithm="ES256", headers={"kid": real.kid})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": real.kid})
