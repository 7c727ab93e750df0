"""What is retried, for how long, and what is dead-lettered at once."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy.exc
from aiokafka.errors import KafkaConnectionError

from app.domain.errors import DomainError, UserErrorCode
from consumers.failures import Failure, RetryPolicy, classify, poison_reason
from consumers.messages import PoisonMessage, PoisonReason


def _wrapped(orig: Exception) -> sqlalchemy.exc.DBAPIError:
    """What SQLAlchemy raises for a driver error: the driver's error as `orig`."""
    return sqlalchemy.exc.OperationalError("SELECT 1", None, orig)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("connection refused"),
        TimeoutError(),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        _wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        _wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        _wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        _wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting")),
        _wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")),
        KafkaConnectionError("broker unreachable"),
    ],
)
def test_an_unavailable_or_conflicting_database_is_transient(error: Exception) -> None:
    assert classify(error) is Failure.TRANSIENT


def test_a_cause_anywhere_in_the_chain_counts() -> None:
    error = RuntimeError("while committing")
    error.__cause__ = OSError("socket closed")

    assert classify(error) is Failure.TRANSIENT


def test_business_rules_and_undecodable_messages_are_poison_with_their_reason() -> None:
    domain = DomainError.one(UserErrorCode.NOT_FOUND, "location not found", ("locationId",))
    poison = PoisonMessage(PoisonReason.INVALID_JSON, "Expecting value")

    assert classify(domain) is classify(poison) is Failure.POISON
    assert poison_reason(domain) == (
        PoisonReason.DOMAIN_ERROR,
        "NOT_FOUND locationId: location not found",
    )
    assert poison_reason(poison) == (PoisonReason.INVALID_JSON, "Expecting value")


@pytest.mark.parametrize(
    "error",
    [
        KeyError("bug"),
        _wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        _wrapped(asyncpg.exceptions.NotNullViolationError("null value")),
    ],
)
def test_anything_else_is_unexpected(error: Exception) -> None:
    assert classify(error) is Failure.UNEXPECTED
    assert poison_reason(error)[0] is PoisonReason.HANDLER_ERROR


def test_backoff_grows_with_jitter_up_to_its_ceiling() -> None:
    policy = RetryPolicy(initial_delay=0.1, max_delay=2.0, multiplier=2.0)

    delays = [policy.delay(attempt) for attempt in range(1, 10)]

    assert 0.05 <= delays[0] <= 0.1
    assert 0.2 <= delays[2] <= 0.4
    assert all(1.0 <= d <= 2.0 for d in delays[5:])
