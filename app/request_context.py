"""The current request id, carried through logs, outbound calls and outbox rows."""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

# What an id from outside may be: a short plain token (nothing to inject into a log line).
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# The Kafka headers a producer may give it in (compared without case).
REQUEST_ID_HEADERS = ("requestid", "x-request-id")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The ids of the messages a consumer applies together in one transaction (a batch of
# payments): a line logged while handling the batch concerns each of them.
batch_request_ids_var: ContextVar[tuple[str, ...] | None] = ContextVar(
    "batch_request_ids", default=None
)


def current_request_id() -> str | None:
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """`request_id` is the current one inside the block (logs, outbox rows, outbound calls)."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


@contextlib.contextmanager
def bound_batch_request_ids(request_ids: Sequence[str]) -> Iterator[None]:
    """Inside the block, log lines carry every id of the batch (`requestIds`)."""
    token = batch_request_ids_var.set(tuple(request_ids))
    try:
        yield
    finally:
        batch_request_ids_var.reset(token)


def message_request_id(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> str:
    """A consumed message's request id: its producer's `requestId` (or `X-Request-ID`)
    header when acceptable, else the message's `eventId`, else a fresh one."""
    for name, given in headers:
        if name.lower() in REQUEST_ID_HEADERS and given:
            text = given.decode("utf-8", errors="replace")
            if ACCEPTABLE_REQUEST_ID.fullmatch(text):
                return text
    return _event_id(value) or new_request_id()


def _event_id(value: bytes | None) -> str | None:
    # The handler parses the message again; one of a few hundred bytes takes a few µs.
    try:
        document = json.loads(value) if value else None
    except (ValueError, RecursionError):
        return None
    event_id = document.get("eventId") if isinstance(document, dict) else None
    if isinstance(event_id, str) and ACCEPTABLE_REQUEST_ID.fullmatch(event_id):
        return event_id
    return None
