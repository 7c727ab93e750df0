"""Principals of recently verified bearer tokens, so a client's next request skips the JWT.

Verifying an ES256 token costs ~0.5 ms of CPU, as much as the rest of a small query;
a dashboard sends the same token with every request. A verified token's principal is
kept until the token expires, and at most `max_age` seconds (so a signing key withdrawn
by identity stops being honoured within that time, as the key cache itself refreshes).
Only successes are kept: a refused token is verified again each time. The cache is
bounded (least recently used first out) and keyed by the whole Authorization value.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from app.auth.principal import Principal

MAX_TOKENS = 4096
MAX_AGE_SECONDS = 60.0


class Authenticator(Protocol):
    async def authenticate(self, authorization: str | None) -> Principal: ...


class VerifiedTokens:
    def __init__(
        self,
        identity: Authenticator,
        *,
        max_tokens: int = MAX_TOKENS,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._identity = identity
        self._max_tokens = max_tokens
        self._max_age = max_age
        self._clock = clock
        self._kept: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def authenticate(self, authorization: str | None) -> Principal:
        """`Identity.authenticate`, answered from the cache while the token is valid."""
        now = self._clock()
        if authorization is not None:
            kept = self._kept.get(authorization)
            if kept is not None:
                principal, until = kept
                if now < until:
                    self._kept.move_to_end(authorization)
                    return principal
                del self._kept[authorization]
        principal = await self._identity.authenticate(authorization)
        if authorization is not None:
            until = min(principal.expires_at.timestamp(), now + self._max_age)
            self._kept[authorization] = (principal, until)
            if len(self._kept) > self._max_tokens:
                self._kept.popitem(last=False)
        return principal
