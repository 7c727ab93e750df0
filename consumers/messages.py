"""What a handler receives and returns, and how it says a message can never be applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Headers = Sequence[tuple[str, bytes]]


class Outcome(StrEnum):
    APPLIED = "applied"
    # Already applied earlier (a re-delivery): the ledger's unique key made it a no-op.
    DUPLICATE = "duplicate"
    # Older than what is stored (by Debezium source position): ignored.
    STALE = "stale"
    # Nothing to do by design: a tombstone, a truncate or a logical-decoding message.
    SKIPPED = "skipped"


class PoisonReason(StrEnum):
    """Why a message went to the dead-letter topic (the `dlq.reason` header)."""

    INVALID_JSON = "invalid-json"
    SCHEMA_VIOLATION = "schema-violation"
    INVALID_VALUE = "invalid-value"
    UNSUPPORTED = "unsupported-event"
    DOMAIN_ERROR = "domain-error"
    HANDLER_ERROR = "handler-error"


class PoisonMessage(Exception):
    """The message can never be applied, however often it is retried."""

    def __init__(self, reason: PoisonReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class InboundMessage:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int | None = None

    @classmethod
    def from_record(cls, record: Any) -> InboundMessage:
        """From an aiokafka ConsumerRecord."""
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=tuple(record.headers or ()),
            timestamp_ms=record.timestamp,
        )


# Decodes one message and applies it through a service, in one database transaction.
Handler = Callable[[async_sessionmaker[AsyncSession], InboundMessage], Awaitable[Outcome]]
