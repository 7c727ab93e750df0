"""A process's budget of database connections for GraphQL reads, so writes always get one.

Why: a request's reads hold one pooled connection for the whole operation
(reads.py). Fifty dashboards polling one instance took every connection of the pool,
and a till's `stockAdjust` then waited seconds for one (or failed after the pool's
timeout, with HTTP 200). Reads now take a slot of this budget first: at most
`GRAPHQL_READ_CONNECTIONS` read connections at once (the pool size by default, leaving
its overflow to writes), and a read that cannot get a slot within
`GRAPHQL_READ_WAIT_SECONDS` is refused at once with THROTTLED (HTTP 503 and
Retry-After), instead of queueing for seconds. Mutations do not draw on it: their
payload reads run beside their writes.
"""

from __future__ import annotations

import asyncio

from graphql_schema.errors import ClientError

THROTTLED = "THROTTLED"
RETRY_AFTER_SECONDS = 1


class ReadsBusy(ClientError):
    """Every read slot stayed taken for the whole wait: retry shortly."""

    def __init__(self) -> None:
        super().__init__("The service is busy with other reads; retry shortly.", THROTTLED)


class ReadBudget:
    def __init__(self, slots: int, wait_seconds: float) -> None:
        self._slots = asyncio.Semaphore(slots)
        self._wait = wait_seconds

    async def take(self) -> None:
        """A slot, or ReadsBusy after the wait."""
        if not self._slots.locked():
            await self._slots.acquire()  # free: returns without waiting
            return
        try:
            await asyncio.wait_for(self._slots.acquire(), self._wait)
        except TimeoutError:
            raise ReadsBusy from None

    def give_back(self) -> None:
        self._slots.release()
