"""Calls to the identity service: bounded in time, retried with backoff, behind a breaker."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.auth.actions import Action
from app.auth.breaker import CircuitBreaker
from app.auth.errors import IdentityUnavailable
from app.auth.policy import PolicyAnswer
from app.auth.request_id import HEADER as REQUEST_ID_HEADER
from app.request_context import current_request_id, new_request_id

log = logging.getLogger(__name__)

JWKS_PATH = "/jw-certs"
POLICY_CHECK_PATH = "/v1/api/policy-definitions/check"
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """`budget` bounds one call, retries included (≤ 2 s keeps a request's wait short)."""

    attempts: int = 3
    first_delay: float = 0.05
    max_delay: float = 0.4
    budget: float = 2.0


class IdentityClient:
    def __init__(
        self,
        base_url: str,
        http: httpx.AsyncClient,
        *,
        breaker: CircuitBreaker | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = http
        self.breaker = breaker or CircuitBreaker("identity")
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    async def fetch_jwks(self) -> dict[str, Any]:
        body = await self._call("GET", JWKS_PATH)
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise IdentityUnavailable("the JWKS is not a {'keys': [...]} object")
        return body

    async def check_policy(self, role: str, action: Action) -> PolicyAnswer:
        body = await self._call("POST", POLICY_CHECK_PATH, {"role": role, "action": action.value})
        if not isinstance(body, dict):
            raise IdentityUnavailable("policy answer is not an object")
        allowed, ttl = body.get("allowed"), body.get("ttlSeconds")
        asked = {"role": role, "action": action.value}
        if not isinstance(allowed, bool) or any(body.get(k, v) != v for k, v in asked.items()):
            raise IdentityUnavailable("policy answer does not answer the question")
        if isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl < 0:
            raise IdentityUnavailable("policy answer has no valid ttlSeconds")
        return PolicyAnswer(allowed=allowed, ttl_seconds=float(ttl))

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        if not self.breaker.allow():
            raise IdentityUnavailable("circuit open after repeated failures")
        try:
            async with asyncio.timeout(self.retry.budget):
                result = await self._with_retries(method, path, body)
        except TimeoutError:
            self.breaker.record_failure()
            log.warning("identity call timed out", extra={"path": path})
            raise IdentityUnavailable(f"{path} timed out") from None
        except asyncio.CancelledError:
            self.breaker.record_abandoned()
            raise
        except IdentityUnavailable:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return result

    async def _with_retries(self, method: str, path: str, body: Any) -> Any:
        headers = {REQUEST_ID_HEADER: current_request_id() or new_request_id()}
        delay = self.retry.first_delay
        problem = "no attempt made"
        for attempt in range(1, self.retry.attempts + 1):
            try:
                response = await self._http.request(
                    method,
                    self.base_url + path,
                    json=body,
                    headers=headers,
                    timeout=self.retry.budget,
                )
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            else:
                if response.is_success:
                    return _json(response, path)
                problem = f"HTTP {response.status_code}"
                if response.status_code not in _RETRYABLE_STATUS:
                    break
            log.warning(
                "identity call failed",
                extra={"path": path, "attempt": attempt, "problem": problem},
            )
            if attempt < self.retry.attempts:
                await self._sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, self.retry.max_delay)
        raise IdentityUnavailable(f"{path}: {problem}")


def _json(response: httpx.Response, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise IdentityUnavailable(f"{path}: response is not JSON") from None
