"""Reads over HTTP execute a few at a time; writes never wait for them.

Why: one worker runs every request on one event loop, and executing a dashboard page
is CPU work (milliseconds of Python between its awaits). Fifty dashboards executing
at once put fifty pages' work in the loop's ready queue, and every step of a till's
`stockAdjust` (each database round trip's answer) waited behind all of it: writes
took seconds. A read now executes only with one of `GRAPHQL_READS_AT_ONCE` places;
the others wait before any GraphQL work (no parse, no connection, nothing in the
loop), in arrival order, for at most `GRAPHQL_READ_WAIT_SECONDS`, and are then
refused with the contract's THROTTLED (HTTP 503, Retry-After) rather than left
queued for seconds. A mutation is never gated: it goes straight to execution, and
its connection comes from the part of the pool reads cannot take (read_budget.py).

A read that waited looks at the response cache again before executing: a page
executed meanwhile with its merchant's data unchanged answers it (the cache's own
freshness rule). Reads the cache could keep that wait together for one page follow
the one execution of it that begins while they wait (ReadGate below).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from graphql import OperationType
from starlette.responses import JSONResponse, Response

from graphql_schema.cache_plans import Plans
from graphql_schema.read_budget import RETRY_AFTER_SECONDS, THROTTLED, ReadsBusy
from graphql_schema.response_cache import Entry


@dataclass(eq=False)
class Flight:
    """One execution of a read, which the reads of the same key waiting when it began
    follow: its result (a response cache entry, None when it had none to share)."""

    result: asyncio.Future[Entry | None]

    def finish(self, entry: Entry | None) -> None:
        if not self.result.done():
            self.result.set_result(entry)


@dataclass(frozen=True, slots=True)
class Admission:
    waited: bool
    # This read holds a place and leads the flight (to finish once executed), if keyed.
    leads: Flight | None = None
    # This read holds no place: it follows another's execution.
    follows: Flight | None = None


@dataclass(eq=False, slots=True)
class _Waiter:
    key: Hashable | None
    admitted: asyncio.Future[Admission]


class ReadGate:
    """At most `places` reads execute at once; a read waits `wait_seconds` for a place,
    in arrival order.

    Reads of one key (the response cache's: merchant, document, variables) waiting
    when one of them gets a place follow its execution instead of waiting on: it began
    after they arrived, so its answer is as fresh as their own would be, and fifty
    dashboards asking the same page cost one execution. (A read that arrives while one
    executes waits for the next: that one may have read before a write it must see.)

    Writes go first: while a write is in the process, a read arriving waits (up to
    `wait_seconds`, then goes on regardless, so a stream of writes cannot starve reads)
    before doing anything, a response cache hit included: each step of the write then
    finds the loop with only the work already under way ahead of it.
    """

    def __init__(self, places: int, wait_seconds: float) -> None:
        self._free = places
        self._queue: deque[_Waiter] = deque()
        self._wait = wait_seconds
        self._writes = 0
        self._no_writes = asyncio.Event()
        self._no_writes.set()

    async def enter(self, key: Hashable | None = None) -> Admission:
        """A place, or a flight of `key` to follow; ReadsBusy after the wait."""
        if self._free and not self._queue:
            self._free -= 1
            return Admission(False, leads=_flight(key))
        waiter = _Waiter(key, asyncio.get_running_loop().create_future())
        self._queue.append(waiter)
        try:
            async with asyncio.timeout(self._wait):
                return await waiter.admitted
        except TimeoutError:
            if waiter.admitted.done() and not waiter.admitted.cancelled():
                self.leave(waiter.admitted.result())  # admitted as the time ran out
            else:
                with contextlib.suppress(ValueError):
                    self._queue.remove(waiter)
            raise ReadsBusy from None

    def leave(self, admission: Admission) -> None:
        """After the read (its flight finished first, if it led one)."""
        if admission.leads is not None:
            admission.leads.finish(None)  # unless finished with a result already
        if admission.follows is None:
            self._free += 1
            self._admit()

    def _admit(self) -> None:
        while self._free and self._queue:
            waiter = self._queue.popleft()
            if waiter.admitted.done():
                continue  # gave up meanwhile
            self._free -= 1
            flight = _flight(waiter.key)
            waiter.admitted.set_result(Admission(True, leads=flight))
            if flight is not None:
                self._queue = deque(w for w in self._queue if not _joins(w, waiter.key, flight))

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write: reads arriving meanwhile wait for its end."""
        self._writes += 1
        self._no_writes.clear()
        try:
            yield
        finally:
            self._writes -= 1
            if not self._writes:
                self._no_writes.set()

    async def after_writes(self) -> None:
        """Once no write is in the process (or after the wait, whichever is first)."""
        if not self._writes:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._wait):
                await self._no_writes.wait()


def _flight(key: Hashable | None) -> Flight | None:
    return None if key is None else Flight(asyncio.get_running_loop().create_future())


def _joins(waiter: _Waiter, key: Hashable, flight: Flight) -> bool:
    """Admit `waiter` as a follower of `flight` if it waits for the same key."""
    if waiter.key != key or waiter.admitted.done():
        return False
    waiter.admitted.set_result(Admission(True, follows=flight))
    return True


def is_mutation(body: bytes, plans: Plans) -> bool:
    """Whether the body is one mutation operation (what bypasses the gate). Anything else,
    a batch or a body that does not parse included, is gated as a read."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if not isinstance(data, dict):
        return False
    query, name = data.get("query"), data.get("operationName")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return False
    return plans.get(query, name).operation_type is OperationType.MUTATION


def refused() -> Response:
    """The answer to a read that found no place in time: the read budget's refusal."""
    error = ReadsBusy()
    body = {"errors": [{"message": error.message, "extensions": {"code": THROTTLED}}]}
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
