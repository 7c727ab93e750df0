"""Dead letters: a message that can never be applied goes to `<topic>.dlq`, untouched.

The record keeps the original key, value and headers, and adds headers saying why
and where it came from, so it can be inspected and replayed onto its topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.kafka.topics import dead_letter_topic
from consumers.messages import InboundMessage, PoisonReason

REASON = "dlq.reason"
DETAIL = "dlq.detail"
SOURCE_TOPIC = "dlq.source.topic"
SOURCE_PARTITION = "dlq.source.partition"
SOURCE_OFFSET = "dlq.source.offset"
CONSUMER_GROUP = "dlq.consumer.group"
FAILED_AT = "dlq.failed.at"
MAX_DETAIL_BYTES = 2000


def dead_letter_headers(
    message: InboundMessage, reason: PoisonReason, detail: str, *, group: str
) -> list[tuple[str, bytes]]:
    added = {
        REASON: reason.value,
        DETAIL: detail.encode()[:MAX_DETAIL_BYTES].decode(errors="ignore"),
        SOURCE_TOPIC: message.topic,
        SOURCE_PARTITION: str(message.partition),
        SOURCE_OFFSET: str(message.offset),
        CONSUMER_GROUP: group,
        FAILED_AT: datetime.now(UTC).isoformat(),
    }
    return [*message.headers, *((name, value.encode()) for name, value in added.items())]


class DeadLetterPublisher:
    """Sends dead letters with an already started producer; waits for the broker's ack,
    so the source offset is committed only once the dead letter is stored."""

    def __init__(self, producer: Any, *, group: str) -> None:
        self._producer = producer
        self._group = group

    async def publish(self, message: InboundMessage, reason: PoisonReason, detail: str) -> None:
        await self._producer.send_and_wait(
            dead_letter_topic(message.topic),
            value=message.value,
            key=message.key,
            headers=dead_letter_headers(message, reason, detail, group=self._group),
        )
