"""One line naming the unreachable service, instead of a stack trace."""

from __future__ import annotations


def describe_unreachable(exc: BaseException) -> str | None:
    """A sentence for a failure to reach the database or the broker, or None for other errors."""
    from aiokafka.errors import KafkaConnectionError, KafkaError
    from sqlalchemy.exc import InterfaceError, OperationalError

    from app.embedded import EmbeddedUnavailable
    from app.kafka.client import KafkaNotConfigured
    from app.runtime import DatabaseUnreachable

    if isinstance(exc, DatabaseUnreachable):
        return str(exc)

    if isinstance(exc, OperationalError | InterfaceError) or type(exc).__module__.startswith(
        "asyncpg"
    ):
        return f"cannot reach the database (check DATABASE_URL): {_reason(exc)}"
    if isinstance(exc, KafkaConnectionError | KafkaError):
        return f"cannot reach the Kafka broker (check KAFKA_BOOTSTRAP_SERVERS): {_reason(exc)}"
    if isinstance(exc, KafkaNotConfigured | EmbeddedUnavailable):
        return str(exc)
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return f"a service is unreachable: {_reason(exc)}"
    return None


def _reason(exc: BaseException) -> str:
    # SQLAlchemy wraps the driver error; its first line is the useful part.
    cause = exc.__cause__ or exc
    text = str(getattr(exc, "orig", None) or cause).strip().splitlines()
    return text[0] if text else type(exc).__name__
