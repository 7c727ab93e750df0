"""Cost budgets shared by every app instance: the same token buckets, kept in Redis.

One Lua script refills and charges a bucket atomically, so two instances
charging the same caller at once cannot both spend the last points. The time
comes from the instances' clocks (wall time, NTP-close), which tests can
replace. When Redis fails, charging falls back to this process's buckets —
callers stay limited per instance instead of every query failing — and a
circuit breaker keeps requests from waiting on a dead Redis for a while.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.auth.breaker import CircuitBreaker
from graphql_schema.security.budget import Charge, ThrottleStatus, TokenBuckets

log = logging.getLogger(__name__)

# KEYS[1] the bucket; ARGV capacity, refill per second, cost, now (whole milliseconds,
# exact in Lua's doubles, unlike fractions of epoch seconds). The level is kept and
# returned as a "%.17g" string: Lua's tostring keeps 14 digits, a reply truncates.
# A negative cost is a refund, capped at the capacity.
CHARGE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
if now > at then
  level = math.min(capacity, level + (now - at) * rate / 1000)
  at = now
end
local granted = 0
if cost <= level then
  level = math.min(capacity, level - cost)
  granted = 1
end
local level_text = string.format('%.17g', level)
redis.call('HSET', KEYS[1], 'level', level_text, 'at', string.format('%d', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - level) / rate * 1000) + 1000)
return {granted, level_text}
"""


class SharedBuckets:
    """Token buckets in Redis under `prefix` + caller key; see TokenBuckets for the rules."""

    def __init__(
        self,
        redis: Redis,
        capacity: int,
        refill_per_second: int,
        *,
        clock: Callable[[], float] | None = None,
        prefix: str = "inventory:graphql-cost:",
        retry_after: float = 5.0,
    ) -> None:
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._script = redis.register_script(CHARGE_SCRIPT)
        self._clock = clock or time.time
        self._prefix = prefix
        self._fallback = TokenBuckets(capacity, refill_per_second, clock=clock)
        self._breaker = CircuitBreaker(
            "graphql cost budget (Redis)", failure_threshold=1, reset_after=retry_after
        )

    async def charge(self, key: str, cost: int) -> Charge:
        if not self._breaker.allow():
            return self._fallback.charge(key, cost)
        now_ms = round(self._clock() * 1000)
        args = [self.capacity, self.refill_per_second, cost, now_ms]
        try:
            granted, level = await self._script(keys=[self._prefix + key], args=args)
        except (RedisError, OSError) as exc:
            self._breaker.record_failure()
            log.warning("query cost budget: Redis failed, charging in-process (%s)", exc)
            return self._fallback.charge(key, cost)
        except BaseException:
            self._breaker.record_abandoned()
            raise
        self._breaker.record_success()
        status = ThrottleStatus(self.capacity, float(level), self.refill_per_second)
        return Charge(bool(granted), status)

    async def refund(self, key: str, points: int) -> ThrottleStatus:
        return (await self.charge(key, -points)).status
