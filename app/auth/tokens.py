"""JWT verification: the algorithm allow-list, the signature, the claims, the principal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import jwt

from app.auth.errors import Unauthenticated
from app.auth.keys import ALLOWED_ALGORITHMS, KeySource
from app.auth.principal import Principal

REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
SERVICE_TOKEN_TYPE = "service"


class TokenVerifier:
    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway: float) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    async def verify(self, token: str) -> Principal:
        """The principal of a token, or Unauthenticated saying what is wrong with it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        algorithm = header.get("alg")
        # Checked before any key is looked up: `none` and HMAC never reach verification.
        if algorithm not in ALLOWED_ALGORITHMS:
            raise Unauthenticated(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthenticated("token names no signing key (kid)")
        key = await self.keys.key_for(kid)
        if key.algorithm_name != algorithm:
            raise Unauthenticated("token algorithm does not match its signing key")
        return principal_from_claims(self._decode(token, key))

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("token expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("token not yet valid") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("token has the wrong issuer") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("token is not meant for this audience") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token lacks the {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature does not verify") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid token") from None


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """User tokens must name their merchant; service tokens (`typ=service`) may not."""
    is_service = claims.get("typ") == SERVICE_TOKEN_TYPE
    subject, role, exp = claims["sub"], claims.get("role"), claims["exp"]
    if not isinstance(subject, str) or not subject:
        raise Unauthenticated("token sub is not a string")
    if role is not None and not isinstance(role, str):
        raise Unauthenticated("token role is not a string")
    return Principal(
        subject=subject,
        merchant_id=_merchant_id(claims.get("merchant_id"), is_service),
        role=role,
        is_service=is_service,
        expires_at=datetime.fromtimestamp(exp, UTC),
    )


def _merchant_id(value: Any, is_service: bool) -> uuid.UUID | None:
    if value is None:
        if is_service:
            return None
        raise Unauthenticated("token lacks the merchant_id claim")
    if not isinstance(value, str):
        raise Unauthenticated("token merchant_id is not a UUID")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Unauthenticated("token merchant_id is not a UUID") from None
