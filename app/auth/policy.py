"""Whether a role may do an action: a fixed table, or identity's answers cached."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.auth.actions import Action
from app.auth.breaker import Clock
from app.auth.errors import IdentityUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyAnswer:
    allowed: bool
    ttl_seconds: float


PolicyCheck = Callable[[str, Action], Awaitable[PolicyAnswer]]


class PolicySource(Protocol):
    async def allowed(self, role: str, action: Action) -> bool: ...


class StaticPolicy:
    """A fixed role → actions table (the development identity's)."""

    def __init__(self, rules: Mapping[str, frozenset[Action]]) -> None:
        self._rules = rules

    async def allowed(self, role: str, action: Action) -> bool:
        return action in self._rules.get(role, frozenset())


@dataclass(frozen=True)
class _Answer:
    allowed: bool
    expires_at: float

    def to_json(self) -> str:
        return json.dumps({"allowed": self.allowed, "expiresAt": self.expires_at})

    @classmethod
    def from_json(cls, raw: bytes | str) -> _Answer | None:
        try:
            data = json.loads(raw)
            allowed, expires_at = data["allowed"], data["expiresAt"]
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(allowed, bool) or not isinstance(expires_at, int | float):
            return None
        return cls(allowed, float(expires_at))


class CachedPolicy:
    """Identity's answers per (role, action), kept in process and in Redis for their TTL.

    When identity cannot answer, the last answer is used even past its TTL (Redis's
    first: it is shared by every instance); with no answer at all the check fails
    closed with IdentityUnavailable. Redis is optional and its failures only cost
    cache hits.
    """

    def __init__(
        self,
        check: PolicyCheck,
        redis: Redis | None = None,
        *,
        key_prefix: str = "inventory:policy:",
        keep_stale_for: float = 7 * 24 * 3600,
        max_ttl: float = 24 * 3600,
        clock: Clock = time.time,
    ) -> None:
        self._check = check
        self._redis = redis
        self.key_prefix = key_prefix
        self.keep_stale_for = keep_stale_for
        self.max_ttl = max_ttl
        self._clock = clock
        self._local: dict[tuple[str, Action], _Answer] = {}
        self._locks: dict[tuple[str, Action], asyncio.Lock] = {}

    async def allowed(self, role: str, action: Action) -> bool:
        key = (role, action)
        local = self._local.get(key)
        if local is not None and local.expires_at > self._clock():
            return local.allowed
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            return await self._refresh(key)

    async def _refresh(self, key: tuple[str, Action]) -> bool:
        local = self._local.get(key)
        if local is not None and local.expires_at > self._clock():
            return local.allowed
        shared = await self._read_shared(key)
        if shared is not None and shared.expires_at > self._clock():
            self._local[key] = shared
            return shared.allowed
        try:
            answer = await self._check(*key)
        except IdentityUnavailable as exc:
            last = max((a for a in (shared, local) if a), key=lambda a: a.expires_at, default=None)
            if last is None:
                raise
            log.warning(
                "identity unavailable, using the last permission answer past its ttl",
                extra={"role": key[0], "action": key[1].value, "reason": exc.reason},
            )
            return last.allowed
        fresh = _Answer(answer.allowed, self._clock() + min(answer.ttl_seconds, self.max_ttl))
        self._local[key] = fresh
        await self._write_shared(key, fresh, answer.ttl_seconds)
        return fresh.allowed

    def _redis_key(self, key: tuple[str, Action]) -> str:
        return f"{self.key_prefix}{key[0]}:{key[1].value}"

    async def _read_shared(self, key: tuple[str, Action]) -> _Answer | None:
        if self._redis is None:
            return None
        try:
            raw = await self._redis.get(self._redis_key(key))
        except (RedisError, OSError) as exc:
            log.warning("permission cache unreadable", extra={"error": type(exc).__name__})
            return None
        return None if raw is None else _Answer.from_json(raw)

    async def _write_shared(self, key: tuple[str, Action], answer: _Answer, ttl: float) -> None:
        if self._redis is None:
            return
        # Kept well past its TTL: the stale answer is the fallback while identity is down.
        keep = int(min(ttl, self.max_ttl) + self.keep_stale_for)
        try:
            await self._redis.set(self._redis_key(key), answer.to_json(), ex=keep)
        except (RedisError, OSError) as exc:
            log.warning("permission cache unwritable", extra={"error": type(exc).__name__})
