"""Per-caller cost budgets: token buckets that refill continuously, kept in this process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """A caller's bucket after a charge, as Shopify reports it in `extensions.cost`."""

    maximum_available: int
    currently_available: float
    restore_rate: int

    def as_extension(self) -> dict[str, int]:
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": math.floor(self.currently_available),
            "restoreRate": self.restore_rate,
        }


@dataclass(frozen=True, slots=True)
class Charge:
    granted: bool
    status: ThrottleStatus


class Buckets(Protocol):
    """Charges in one process; `SharedBuckets` (redis_budget.py) is the awaitable twin."""

    def charge(self, key: str, cost: int) -> Charge: ...

    def refund(self, key: str, points: int) -> ThrottleStatus: ...


class TokenBuckets:
    """A bucket per caller of `capacity` points, refilling `refill_per_second`.

    A charge is all or nothing: a query costing more than what is left takes
    nothing and is refused. A refund (of an estimate above the actual cost)
    never fills a bucket past its capacity. A full bucket is the same as no bucket, so full
    ones are forgotten once there are more than `max_callers`.
    """

    def __init__(
        self,
        capacity: int,
        refill_per_second: int,
        *,
        clock: Callable[[], float] | None = None,
        max_callers: int = 100_000,
    ) -> None:
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._clock = clock or time.monotonic
        self._max_callers = max_callers
        self._sweep_above = max_callers
        self._buckets: dict[str, tuple[float, float]] = {}

    def __len__(self) -> int:
        """How many callers' buckets are kept."""
        return len(self._buckets)

    def charge(self, key: str, cost: int) -> Charge:
        now = self._clock()
        level = self._level(key, now)
        granted = cost <= level
        if granted:
            level = min(float(self.capacity), level - cost)
        self._buckets[key] = (level, now)
        if len(self._buckets) > self._sweep_above:
            self._sweep(now)
        return Charge(granted, ThrottleStatus(self.capacity, level, self.refill_per_second))

    def refund(self, key: str, points: int) -> ThrottleStatus:
        return self.charge(key, -points).status

    def _level(self, key: str, now: float) -> float:
        level, at = self._buckets.get(key, (float(self.capacity), now))
        # A clock that steps back refills nothing rather than draining the bucket.
        return min(float(self.capacity), level + max(0.0, now - at) * self.refill_per_second)

    def _sweep(self, now: float) -> None:
        full = [key for key in self._buckets if self._level(key, now) >= self.capacity]
        for key in full:
            del self._buckets[key]
        # Sweep again only after real growth, so a crowd of busy callers costs O(1) per charge.
        self._sweep_above = max(self._max_callers, 2 * len(self._buckets))
