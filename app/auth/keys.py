"""Signing keys: a JWKS fetched from identity and cached, or the development key pair."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from jwt import PyJWK, PyJWTError

from app.auth.breaker import Clock
from app.auth.errors import IdentityUnavailable, Unauthenticated

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256"})

FetchJwks = Callable[[], Awaitable[Mapping[str, Any]]]


class KeySource(Protocol):
    async def key_for(self, kid: str) -> PyJWK: ...

    async def aclose(self) -> None: ...


def usable_keys(jwks: Mapping[str, Any]) -> dict[str, PyJWK]:
    """The RS256/ES256 signing keys of a JWKS by kid; anything else is left out."""
    keys: dict[str, PyJWK] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = PyJWK(entry)
        except PyJWTError:
            continue
        if key.algorithm_name in ALLOWED_ALGORITHMS:
            keys[entry["kid"]] = key
    return keys


class LocalKeys:
    """A fixed set of keys held in process (the development identity's own)."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._jwks = dict(jwks)
        self._keys = usable_keys(jwks)

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    async def key_for(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("token signed by an unknown key")
        return key

    async def aclose(self) -> None:
        return None


class RemoteKeys:
    """Identity's JWKS, cached.

    A token with an unknown kid triggers a refetch, but at most one per
    `refetch_interval` (rotation is picked up; random kids cannot make us hammer
    identity), and a kid a fetch did not contain is remembered for `unknown_kid_ttl`.
    Keys older than `max_age` are refreshed in the background (at most once per
    interval); when that fails the cached keys keep working.
    """

    def __init__(
        self,
        fetch: FetchJwks,
        *,
        refetch_interval: float = 60.0,
        unknown_kid_ttl: float = 60.0,
        max_age: float = 600.0,
        max_unknown_kids: int = 1024,
        clock: Clock = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.refetch_interval = refetch_interval
        self.unknown_kid_ttl = unknown_kid_ttl
        self.max_age = max_age
        self.max_unknown_kids = max_unknown_kids
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._last_load_failed = False
        self._last_refetch: float | None = None
        self._last_refresh: float | None = None
        self._unknown: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def key_for(self, kid: str) -> PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            self._refresh_if_stale()
            return key
        if self._unknown.get(kid, float("-inf")) > self._clock():
            raise Unauthenticated("token signed by an unknown key")
        await self._refetch_for(kid)
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("token signed by an unknown key")
        return key

    async def load(self) -> None:
        """Fetch the JWKS now (startup warm-up); raises IdentityUnavailable."""
        async with self._lock:
            await self._load()

    async def aclose(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh

    async def _refetch_for(self, kid: str) -> None:
        async with self._lock:
            if kid in self._keys:
                return
            # Before the first successful load every request may try (the breaker limits
            # that); after it, unknown kids refetch at most once per interval.
            if self._fetched_at is not None and self._recent(self._last_refetch):
                if self._last_load_failed:
                    raise IdentityUnavailable("unknown signing key and identity unreachable")
                return
            self._last_refetch = self._clock()
            await self._load()
            if kid not in self._keys:
                self._remember_unknown(kid)

    async def _load(self) -> None:
        self._last_load_failed = True
        jwks = await self._fetch()
        keys = usable_keys(jwks)
        if not keys:
            raise IdentityUnavailable("the JWKS holds no RS256 or ES256 signing key")
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_load_failed = False
        for kid in keys:
            self._unknown.pop(kid, None)
        log.info("signing keys loaded", extra={"kids": sorted(keys)})

    def _recent(self, moment: float | None) -> bool:
        return moment is not None and self._clock() - moment < self.refetch_interval

    def _remember_unknown(self, kid: str) -> None:
        now = self._clock()
        if len(self._unknown) >= self.max_unknown_kids:
            self._unknown = {k: until for k, until in self._unknown.items() if until > now}
            if len(self._unknown) >= self.max_unknown_kids:
                self._unknown.pop(next(iter(self._unknown)))
        self._unknown[kid] = now + self.unknown_kid_ttl

    def _refresh_if_stale(self) -> None:
        fetched_at = self._fetched_at
        if fetched_at is None or self._clock() - fetched_at < self.max_age:
            return
        if self._lock.locked() or self._recent(self._last_refresh):
            return
        if self._refresh is None or self._refresh.done():
            self._last_refresh = self._clock()
            self._refresh = asyncio.create_task(self._background_refresh())

    async def _background_refresh(self) -> None:
        try:
            await self.load()
        except IdentityUnavailable as exc:
            log.warning(
                "signing keys not refreshed, keeping cached ones", extra={"reason": exc.reason}
            )
