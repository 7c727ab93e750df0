"""Which failures are worth retrying, and how long to wait between attempts.

Poison (a message that can never pass): dead-letter at once. Transient (the
database or broker is unreachable, a deadlock, a serialization failure, a pool
timeout): retry with backoff for as long as it takes, the partition waits.
Anything else is unexpected (a bug, a race on a unique key): retried a few
times, then dead-lettered, so one bad message cannot stall its partition forever.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import sqlalchemy.exc
from aiokafka.errors import KafkaError

from app.domain.errors import DomainError
from consumers.messages import PoisonMessage, PoisonReason

# SQLSTATE classes that say "try again later", not "this can never work":
# 08 connection, 40 transaction rollback (serialization, deadlock), 53 insufficient
# resources, 57 operator intervention (admin shutdown, cannot connect now), 58 system.
_TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_TRANSIENT_SQLSTATES = frozenset({"55P03"})  # lock_not_available


class Failure(Enum):
    POISON = "poison"
    TRANSIENT = "transient"
    UNEXPECTED = "unexpected"


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, PoisonMessage | DomainError):
        return Failure.POISON
    if any(_is_transient(cause) for cause in _chain(exc)):
        return Failure.TRANSIENT
    return Failure.UNEXPECTED


def poison_reason(exc: BaseException) -> tuple[PoisonReason, str]:
    if isinstance(exc, PoisonMessage):
        return exc.reason, exc.detail
    if isinstance(exc, DomainError):
        problems = "; ".join(
            f"{p.code.value} {'.'.join(map(str, p.field or ()))}: {p.message}".replace(" :", ":")
            for p in exc.problems
        )
        return PoisonReason.DOMAIN_ERROR, problems
    return PoisonReason.HANDLER_ERROR, f"{type(exc).__name__}: {exc}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__]
        if isinstance(orig, BaseException):
            pending.append(orig)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OSError | TimeoutError | sqlalchemy.exc.TimeoutError):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES or sqlstate in _TRANSIENT_SQLSTATES
    return _is_closed_connection(exc)


def _is_closed_connection(exc: BaseException) -> bool:
    # asyncpg reports a connection lost mid-query as InterfaceError("connection is closed")
    # or ConnectionDoesNotExistError; neither carries a SQLSTATE.
    name = type(exc).__name__
    return name == "ConnectionDoesNotExistError" or (
        name == "InterfaceError" and "connection is closed" in str(exc)
    )


@dataclass(frozen=True)
class RetryPolicy:
    initial_delay: float = 0.1
    max_delay: float = 5.0
    multiplier: float = 2.0
    # Unexpected failures get this many attempts before the message is dead-lettered.
    unexpected_attempts: int = 5

    def delay(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the attempt-th retry (1-based)."""
        ceiling = min(self.max_delay, self.initial_delay * self.multiplier ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)
