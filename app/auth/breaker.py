"""A circuit breaker: after repeated failures, stop calling for a while, then try once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class CircuitBreaker:
    """Closed → open after `failure_threshold` consecutive failures; after `reset_after`
    seconds one trial call is let through (half-open): its success closes the circuit,
    its failure opens it again."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """Whether a call may go out now (claims the half-open trial when it is due)."""
        if self._opened_at is None:
            return True
        if self._trial_in_flight or self._clock() - self._opened_at < self.reset_after:
            return False
        self._trial_in_flight = True
        return True

    def record_success(self) -> None:
        if self._opened_at is not None:
            log.info("circuit closed", extra={"circuit": self.name})
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def record_abandoned(self) -> None:
        """A call was cancelled before it could tell: free the trial slot, count nothing."""
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._failures += 1
        was_trial, self._trial_in_flight = self._trial_in_flight, False
        if was_trial or self._failures >= self.failure_threshold:
            if self._opened_at is None:
                log.warning(
                    "circuit opened", extra={"circuit": self.name, "failures": self._failures}
                )
            self._opened_at = self._clock()
