"""A fake identity service on a real local port: JWKS and the policy check, with switches.

Runs under uvicorn in a background thread, so the code under test talks real HTTP.
Switches: `failing` (answer 503), `delay` (seconds before answering), `rotate()` (new
signing key), `policy` / `ttl_seconds` (the answers); counters and the X-Request-ID
of every request are recorded.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.embedded import free_port

ISSUER = "https://identity.test"
AUDIENCE = "inventory"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private_key: PrivateKey

    @classmethod
    def generate(cls, algorithm: str = "RS256") -> SigningKey:
        key: PrivateKey
        if algorithm == "RS256":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
        return cls(
            kid=f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}", algorithm=algorithm, private_key=key
        )

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@dataclass
class FakeIdentityState:
    keys: list[SigningKey] = field(default_factory=list)
    policy: dict[tuple[str, str], bool] = field(default_factory=dict)
    ttl_seconds: int = 300
    failing: bool = False
    delay: float = 0.0
    jwks_requests: int = 0
    policy_requests: int = 0
    request_ids: list[str | None] = field(default_factory=list)

    @property
    def current_key(self) -> SigningKey:
        return self.keys[-1]

    def rotate(self, algorithm: str = "RS256", *, keep_old: bool = True) -> SigningKey:
        key = SigningKey.generate(algorithm)
        self.keys = [*self.keys, key] if keep_old else [key]
        return key

    def allow(self, role: str, *actions: str) -> None:
        for action in actions:
            self.policy[(role, action)] = True

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "merchant_id": str(uuid.UUID(int=1)),
            "role": "cashier",
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(minutes=5)).timestamp()),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, key: SigningKey | None = None, **overrides: Any) -> str:
        """A token signed by `key` (default the current one); a claim set to None is left out."""
        key = key or self.current_key
        return jwt.encode(
            self.claims(**overrides),
            key.private_key,
            algorithm=key.algorithm,
            headers={"kid": key.kid},
        )


def build_app(state: FakeIdentityState) -> Starlette:
    async def gate(request: Request) -> Response | None:
        state.request_ids.append(request.headers.get("x-request-id"))
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.failing:
            return JSONResponse({"error": "identity is down"}, status_code=503)
        return None

    async def jwks(request: Request) -> Response:
        state.jwks_requests += 1
        return await gate(request) or JSONResponse({"keys": [k.public_jwk() for k in state.keys]})

    async def check(request: Request) -> Response:
        state.policy_requests += 1
        refused = await gate(request)
        if refused is not None:
            return refused
        body = await request.json()
        allowed = state.policy.get((body["role"], body["action"]), False)
        return JSONResponse({**body, "allowed": allowed, "ttlSeconds": state.ttl_seconds})

    return Starlette(
        routes=[
            Route("/jw-certs", jwks),
            Route("/v1/api/policy-definitions/check", check, methods=["POST"]),
        ]
    )


class FakeIdentityServer:
    def __init__(self) -> None:
        self._base_key = SigningKey.generate("RS256")
        self.state = FakeIdentityState(keys=[self._base_key])
        self.port = free_port()
        config = uvicorn.Config(
            build_app(self.state),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-identity", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake identity server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)

    def reset(self) -> FakeIdentityState:
        """Fresh switches and counters; the one RS256 key (RSA generation is slow)."""
        fresh = FakeIdentityState(keys=[self._base_key])
        self.state.__dict__.update(fresh.__dict__)
        return self.state
