"""The built-in development identity: a local key pair, a default policy, token minting.

Used only when IDENTITY_URL is unset (never with ENVIRONMENT=production). The ES256
key pair lives in DATA_DIR/dev-identity/, is created on first use and kept, so
tokens printed by `inventory token` stay valid across restarts.

Default policy (role → actions):

- owner: every action
- manager: every action except inventory:product-variant.sync
- cashier: inventory:read, inventory:stock.adjust
- kitchen: inventory:read
- service (service tokens without a role): inventory:read, inventory:product-variant.sync
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from app.auth.actions import Action

KEY_FILE = Path("dev-identity") / "signing-key.pem"
ALGORITHM = "ES256"
SERVICE_ROLE = "service"

DEFAULT_POLICY: dict[str, frozenset[Action]] = {
    "owner": frozenset(Action),
    "manager": frozenset(Action) - {Action.PRODUCT_VARIANT_SYNC},
    "cashier": frozenset({Action.READ, Action.STOCK_ADJUST}),
    "kitchen": frozenset({Action.READ}),
    SERVICE_ROLE: frozenset({Action.READ, Action.PRODUCT_VARIANT_SYNC}),
}


@dataclass(frozen=True)
class DevSigningKey:
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def issue_token(
        self,
        *,
        issuer: str,
        audience: str,
        subject: str,
        merchant_id: uuid.UUID | None,
        role: str | None,
        service: bool = False,
        ttl: timedelta = timedelta(hours=12),
        now: datetime | None = None,
    ) -> str:
        """A signed token shaped like identity's (service tokens carry `typ=service`)."""
        issued = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": subject,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()),
            "exp": int((issued + ttl).timestamp()),
        }
        if merchant_id is not None:
            claims["merchant_id"] = str(merchant_id)
        if role is not None:
            claims["role"] = role
        if service:
            claims["typ"] = "service"
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


def load_or_create_signing_key(data_dir: Path) -> DevSigningKey:
    """The key pair in DATA_DIR, created on first use (safe when two processes race)."""
    path = data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key")
    return DevSigningKey(key)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    try:
        # link() never replaces: when another process won the race, its key is kept.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
