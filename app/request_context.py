"""The current request id, carried through logs, outbound calls and outbox rows."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from contextvars import ContextVar

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
