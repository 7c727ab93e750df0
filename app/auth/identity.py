"""The identity layer entry points call: `authenticate` a request, `authorize` an action."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import httpx
from redis.asyncio import Redis

from app.auth.actions import Action
from app.auth.breaker import CircuitBreaker, Clock
from app.auth.client import IdentityClient, RetryPolicy, Sleep
from app.auth.dev import DEFAULT_POLICY, SERVICE_ROLE, load_or_create_signing_key
from app.auth.errors import Forbidden, IdentityUnavailable, Unauthenticated
from app.auth.keys import KeySource, LocalKeys, RemoteKeys
from app.auth.policy import CachedPolicy, PolicySource, StaticPolicy
from app.auth.principal import Principal
from app.auth.tokens import TokenVerifier
from app.settings import Settings, SettingsError

log = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


class Identity:
    def __init__(
        self,
        verifier: TokenVerifier,
        policy: PolicySource,
        *,
        closers: list[Closer] | None = None,
    ) -> None:
        self.verifier = verifier
        self.policy = policy
        self._closers = closers or []

    @property
    def keys(self) -> KeySource:
        return self.verifier.keys

    async def authenticate(self, authorization: str | None) -> Principal:
        """The caller of an `Authorization` value ("Bearer <jwt>" or a bare token).

        Raises Unauthenticated (401), or IdentityUnavailable (503) when the signing
        key is unknown and identity cannot be asked.
        """
        return await self.verifier.verify(bearer_token(authorization))

    async def authorize(self, principal: Principal, action: Action) -> None:
        """Returns when the principal's role may do the action; raises Forbidden (403),
        or IdentityUnavailable (503) when identity cannot answer and nothing is cached."""
        role = principal.role or (SERVICE_ROLE if principal.is_service else None)
        if role is None or not await self.policy.allowed(role, action):
            raise Forbidden(action)

    async def aclose(self) -> None:
        await self.keys.aclose()
        for close in reversed(self._closers):
            await close()


def bearer_token(authorization: str | None) -> str:
    parts = (authorization or "").split()
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    if len(parts) == 1 and parts[0].lower() != "bearer":
        return parts[0]
    if not parts:
        raise Unauthenticated("no bearer token")
    raise Unauthenticated("Authorization must be 'Bearer <token>'")


@dataclass(frozen=True)
class IdentityTuning:
    """Intervals and clocks of the remote identity (tests shorten them)."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_failures: int = 5
    breaker_reset_after: float = 30.0
    key_refetch_interval: float = 60.0
    unknown_kid_ttl: float = 60.0
    keys_max_age: float = 600.0
    monotonic: Clock = time.monotonic
    wall_clock: Clock = time.time
    sleep: Sleep = asyncio.sleep


async def build_identity(
    settings: Settings,
    http_client: httpx.AsyncClient | None = None,
    redis: Redis | None = None,
    *,
    tuning: IdentityTuning | None = None,
) -> Identity:
    """The remote identity when IDENTITY_URL is set, else the development identity.

    Clients passed in stay the caller's to close; those created here close with
    `Identity.aclose`. REDIS_URL unset and no `redis` → in-process cache only.
    """
    if settings.identity_url:
        return await _remote_identity(
            settings, settings.identity_url, http_client, redis, tuning or IdentityTuning()
        )
    if settings.is_production:
        raise SettingsError(
            "IDENTITY_URL is required when ENVIRONMENT=production "
            "(the development identity is for development only)"
        )
    return await _development_identity(settings)


async def _remote_identity(
    settings: Settings,
    url: str,
    http_client: httpx.AsyncClient | None,
    redis: Redis | None,
    tuning: IdentityTuning,
) -> Identity:
    closers: list[Closer] = []
    if http_client is None:
        http_client = httpx.AsyncClient(timeout=tuning.retry.budget)
        closers.append(http_client.aclose)
    if redis is None and settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        closers.append(redis.aclose)
    breaker = CircuitBreaker(
        "identity",
        failure_threshold=tuning.breaker_failures,
        reset_after=tuning.breaker_reset_after,
        clock=tuning.monotonic,
    )
    client = IdentityClient(
        url, http_client, breaker=breaker, retry=tuning.retry, sleep=tuning.sleep
    )
    keys = RemoteKeys(
        client.fetch_jwks,
        refetch_interval=tuning.key_refetch_interval,
        unknown_kid_ttl=tuning.unknown_kid_ttl,
        max_age=tuning.keys_max_age,
        clock=tuning.monotonic,
    )
    try:
        await keys.load()
    except IdentityUnavailable as exc:
        log.warning("signing keys not loaded at start", extra={"reason": exc.reason})
    policy = CachedPolicy(client.check_policy, redis, clock=tuning.wall_clock)
    verifier = _verifier(settings, keys)
    return Identity(verifier, policy, closers=closers)


async def _development_identity(settings: Settings) -> Identity:
    signing_key = await anyio.to_thread.run_sync(load_or_create_signing_key, settings.data_dir)
    log.info(
        "development identity: tokens from `inventory token`",
        extra={"kid": signing_key.kid, "issuer": settings.identity_issuer},
    )
    keys = LocalKeys(signing_key.jwks())
    return Identity(_verifier(settings, keys), StaticPolicy(DEFAULT_POLICY))


def _verifier(settings: Settings, keys: KeySource) -> TokenVerifier:
    return TokenVerifier(
        keys,
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        leeway=settings.identity_leeway_seconds,
    )
