"""Messages to their final state: applied by their handler, or stored as dead letters.

Poison goes to the dead-letter topic at once; transient failures are retried with
backoff for as long as they last (the partition waits); unexpected ones a few
times, then dead-lettered. Only a stopping runner gives up, leaving the message
uncommitted for whoever consumes the partition next.

A partition's run of messages for a `BatchHandler` is decoded first (poison is set
aside for the dead-letter topic) and the rest applied in one transaction, retried
whole while the failure is transient. Any other failure of that transaction names no
message, so the run is then handled message by message as above, which isolates
the culprit; nothing of the failed transaction was stored.

Metrics stay per message: `processed`, `duplicates` and `dead_lettered` count
messages; `retries` counts the messages whose attempt is retried (a batch's attempt
counts each of its messages); `handler_seconds` is per message and attempt the time
its transaction took, from the start of its (batch) attempt to its commit: the
latency the message saw, not a share of the batch's cost. `batch_messages` tells the
size of each batch transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiokafka.errors import KafkaError

from app.db.unit_of_work import UnitOfWork
from app.request_context import bound_batch_request_ids, bound_request_id, message_request_id
from consumers.dead_letters import DeadLetterPublisher
from consumers.failures import Failure, RetryPolicy, classify, poison_reason
from consumers.messages import BatchHandler, Handler, InboundMessage, Outcome, PoisonReason
from consumers.metrics import ConsumerMetrics

log = logging.getLogger(__name__)


class Delivery:
    def __init__(
        self,
        sessions: UnitOfWork,
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

    async def deliver_all(
        self, messages: Sequence[InboundMessage], finished: Callable[[int], None]
    ) -> None:
        """Handle one partition's messages in order; `finished(n)` each time the first n
        are applied or dead-lettered (fewer than all only when the runner is stopping)."""
        handler = self._handlers[messages[0].topic] if messages else None
        if isinstance(handler, BatchHandler) and len(messages) > 1:
            await self._deliver_batch(handler, messages, finished)
        else:
            await self._deliver_each(messages, 0, finished)

    async def _deliver_each(
        self, messages: Sequence[InboundMessage], done: int, finished: Callable[[int], None]
    ) -> None:
        for n in range(done, len(messages)):
            if not await self.deliver(messages[n]):
                return  # stopping while the message still fails: leave it uncommitted
            finished(n + 1)

    async def _deliver_batch(
        self,
        handler: BatchHandler[Any],
        messages: Sequence[InboundMessage],
        finished: Callable[[int], None],
    ) -> None:
        commands: list[Any] = []
        poison: dict[int, tuple[PoisonReason, str]] = {}
        request_ids = [message_request_id(m.headers, m.value) for m in messages]
        for n, message in enumerate(messages):
            try:
                # Bound while decoding: a command that stages events keeps its message's id.
                with bound_request_id(request_ids[n]):
                    commands.append(handler.decode(message))
            except Exception as exc:
                if classify(exc) is not Failure.POISON:
                    # A bug in decoding: each message alone, with its own retries.
                    return await self._deliver_each(messages, 0, finished)
                poison[n] = poison_reason(exc)
        applied = [r for n, r in enumerate(request_ids) if n not in poison]
        with bound_batch_request_ids(applied):
            outcomes = await self._apply_batch(handler, messages[0].topic, commands)
        if outcomes is None:
            return  # stopping while the batch still fails transiently
        if isinstance(outcomes, BaseException):
            log.warning(
                "batch failed, handling its messages one by one",
                extra={**where(messages[0]), "count": len(messages), "error": repr(outcomes)},
            )
            return await self._deliver_each(messages, 0, finished)
        if len(outcomes) != len(commands):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(commands)} messages")
        self._record(messages[0].topic, outcomes)
        with bound_batch_request_ids(applied):
            log.debug("batch applied", extra={**where(messages[0]), "count": len(commands)})
        finished(min(poison, default=len(messages)))
        for n, (reason, detail) in sorted(poison.items()):
            with bound_request_id(request_ids[n]):
                dead_lettered = await self._dead_letter(messages[n], reason, detail)
            if not dead_lettered:
                return
            finished(min((p for p in poison if p > n), default=len(messages)))

    async def _apply_batch(
        self, handler: BatchHandler[Any], topic: str, commands: Sequence[Any]
    ) -> Sequence[Outcome] | BaseException | None:
        """The outcomes of the commands applied in one transaction, retried while the
        failure is transient; the exception of any other failure; None when stopping."""
        if not commands:
            return []
        seconds = self._metrics.handler_seconds.labels(topic)
        self._metrics.batch_messages.labels(topic).observe(len(commands))
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                outcomes = await handler.apply(self._sessions, commands)
            except Exception as exc:
                failure = classify(exc)
                if failure is not Failure.TRANSIENT:
                    return exc
                elapsed = time.perf_counter() - started
                for _ in commands:
                    seconds.observe(elapsed)
                attempt += 1
                self._metrics.retries.labels(topic, failure.value).inc(len(commands))
                log.warning(
                    "batch failed, retrying",
                    extra={
                        "topic": topic,
                        "count": len(commands),
                        "failure": failure.value,
                        "error": repr(exc),
                    },
                )
                if not await self._backoff(attempt):
                    return None
                continue
            elapsed = time.perf_counter() - started
            for _ in commands:
                seconds.observe(elapsed)
            return outcomes

    def _record(self, topic: str, outcomes: Sequence[Outcome]) -> None:
        for outcome, count in Counter(outcomes).items():
            self._metrics.processed.labels(topic, outcome.value).inc(count)
            if outcome is Outcome.DUPLICATE:
                self._metrics.duplicates.labels(topic).inc(count)

    async def deliver(self, message: InboundMessage) -> bool:
        """Handle one message until it is applied or dead-lettered; False if given up
        because the runner is stopping (the message stays uncommitted). Its request id
        is bound meanwhile: on every log line, and on the events it stages (the
        producer's requestId header, else its eventId: `message_request_id`)."""
        with bound_request_id(message_request_id(message.headers, message.value)):
            return await self._deliver(message)

    async def _deliver(self, message: InboundMessage) -> bool:
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
            log.debug("message handled", extra={**where(message), "outcome": outcome.value})
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
