"""What a handler receives and returns, and how it says a message can never be applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from app.db.unit_of_work import UnitOfWork

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
Handler = Callable[[UnitOfWork, InboundMessage], Awaitable[Outcome]]

Command = TypeVar("Command")


@dataclass(frozen=True)
class BatchHandler(Generic[Command]):
    """A handler that can also apply a partition's run of messages in one transaction.

    `decode` turns a message into its command, before any transaction; it raises
    PoisonMessage (or a DomainError) for a message that can never apply. `apply` applies
    commands in order in ONE transaction and returns each one's outcome, or raises, and
    then nothing of the run is stored. Called with a single message it is a `Handler`:
    decode, then apply a run of one.
    """

    decode: Callable[[InboundMessage], Command]
    apply: Callable[[UnitOfWork, Sequence[Command]], Awaitable[Sequence[Outcome]]]

    async def __call__(self, sessions: UnitOfWork, message: InboundMessage) -> Outcome:
        [outcome] = await self.apply(sessions, [self.decode(message)])
        return outcome
