"""One message to its final state: applied by its handler, or stored as a dead letter.

Poison goes to the dead-letter topic at once; transient failures are retried with
backoff for as long as they last (the partition waits); unexpected ones a few
times, then dead-lettered. Only a stopping runner gives up, leaving the message
uncommitted for whoever consumes the partition next.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiokafka.errors import KafkaError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from consumers.dead_letters import DeadLetterPublisher
from consumers.failures import Failure, RetryPolicy, classify, poison_reason
from consumers.messages import Handler, InboundMessage, Outcome, PoisonReason
from consumers.metrics import ConsumerMetrics

log = logging.getLogger(__name__)


class Delivery:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        handlers: Mapping[str, Handler],
        dead_letters: DeadLetterPublisher,
        metrics: ConsumerMetrics,
        retry: RetryPolicy,
        stopping: asyncio.Event,
    ) -> None:
        self._sessions = sessions
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._metrics = metrics
        self._retry = retry
        self._stopping = stopping

    async def deliver(self, message: InboundMessage) -> bool:
        """Handle one message until it is applied or dead-lettered; False if given up
        because the runner is stopping (the message stays uncommitted)."""
        handler = self._handlers[message.topic]
        topic = message.topic
        attempt = unexpected = 0
        while True:
            started = time.perf_counter()
            try:
                outcome = await handler(self._sessions, message)
            except Exception as exc:
                self._metrics.handler_seconds.labels(topic).observe(time.perf_counter() - started)
                failure = classify(exc)
                attempt += 1
                unexpected += failure is Failure.UNEXPECTED
                exhausted = unexpected >= self._retry.unexpected_attempts
                if failure is Failure.POISON or exhausted:
                    reason, detail = poison_reason(exc)
                    if failure is Failure.UNEXPECTED:
                        log.exception("giving up on a message", extra=where(message))
                    return await self._dead_letter(message, reason, detail)
                self._metrics.retries.labels(topic, failure.value).inc()
                log.warning(
                    "handling failed, retrying",
                    extra={**where(message), "failure": failure.value, "error": repr(exc)},
                )
                if not await self._backoff(attempt):
                    return False
                continue
            self._metrics.handler_seconds.labels(topic).observe(time.perf_counter() - started)
            self._metrics.processed.labels(topic, outcome.value).inc()
            if outcome is Outcome.DUPLICATE:
                self._metrics.duplicates.labels(topic).inc()
            return True

    async def _dead_letter(
        self, message: InboundMessage, reason: PoisonReason, detail: str
    ) -> bool:
        attempt = 0
        while True:
            try:
                await self._dead_letters.publish(message, reason, detail)
            except KafkaError as exc:
                # Never skip a poison message without storing it: the partition waits.
                attempt += 1
                self._metrics.retries.labels(message.topic, "dead-letter").inc()
                log.warning("dead-lettering failed, retrying", extra={"error": repr(exc)})
                if not await self._backoff(attempt):
                    return False
                continue
            self._metrics.dead_lettered.labels(message.topic, reason.value).inc()
            self._metrics.processed.labels(message.topic, "dead_lettered").inc()
            log.warning(
                "message dead-lettered",
                extra={**where(message), "reason": reason.value, "detail": detail},
            )
            return True

    async def _backoff(self, attempt: int) -> bool:
        """Sleep before the next attempt; False at once when the runner is stopping."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._retry.delay(attempt)):
                await self._stopping.wait()
        return not self._stopping.is_set()


def where(message: InboundMessage) -> dict[str, Any]:
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset}
