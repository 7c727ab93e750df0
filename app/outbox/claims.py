"""The relay's SQL: claim a batch in per-key order, mark it sent, record failures, prune.

How a batch is claimed, and why this way
----------------------------------------
Per-key order means: a row is never published while an older unsent row of the
same (topic, key) exists — whether that older row is held by another relay or
waiting for its retry time. `FOR UPDATE SKIP LOCKED` alone does not give that:
relay B would skip key K's row 1 (locked by relay A) and happily send row 2.

So a relay claims *keys*, through their oldest unsent row (the key's head):

1. Find the heads that are due and lock them `FOR UPDATE SKIP LOCKED`. The
   locked head is the key's mutex: another relay skips it, and does not see
   the later rows of that key as heads because the head is still unsent. A
   head waiting for its retry is not due, so nothing behind it moves either.
2. In the same statement, take the unsent rows of the claimed keys in `seq`
   order up to the batch size and lock them `FOR UPDATE`. Each key thus
   contributes a prefix of its unsent rows, so a hot key drains a whole run
   per batch instead of one row per round trip. Nobody else can hold these
   rows: only the owner of a key's head claims the rest of that key.

Finding heads cheaply: the claim first looks only at the oldest
`WINDOW_FACTOR * limit` unsent rows (one range scan of the unsent index). That
window is a prefix of all unsent rows, so a key's first row in it *is* its
head, with no per-row "is there an older one?" probe — after an outage, with
thousands of rows per key, probing every row would make each claim walk the
whole backlog. When the window yields nothing (all of it held by other relays
or waiting for retries) the claim searches all unsent rows for heads, with a
`NOT EXISTS` probe per row answered by the partial index on (topic, key, seq).

A head that another relay sends, or fails, and commits while our statement
runs is re-checked by PostgreSQL before it is locked (read committed
re-evaluates `sent_at IS NULL` and the retry time on the newest row version),
so we skip it: two relays do not send the same row, and as long as we hold a
head nobody else has touched the rows behind it since our snapshot.

We chose row locks over `pg_try_advisory_xact_lock(hashtext(topic || key))`:
an advisory lock taken inside the claiming statement races with that
statement's own snapshot (it can see rows as unsent that the previous lock
holder has just committed as sent), hash collisions would serialise unrelated
keys, and the row lock already exists and is released by the same commit that
marks the rows sent.

`seq` order is commit order within a key because every writer of a key first
locks the entity the key names (`lock_stocks` holds the stock row), so a later
`seq` of the same key cannot commit before an earlier one.

The claiming transaction stays open while the batch is published; the rows are
marked sent (or their failure recorded) in that same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Float,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
)
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import tables as t

_outbox = t.outbox_event


@dataclass(frozen=True)
class ClaimedEvent:
    """A locked outbox row, with its payload as the JSON text PostgreSQL stores."""

    seq: int
    id: uuid.UUID
    topic: str
    key: str
    event_type: str
    value: str
    request_id: str | None
    attempts: int


@dataclass(frozen=True)
class FailedEvent:
    seq: int
    error: str
    retry_in_seconds: float


# The oldest unsent rows a claim looks at first, as a multiple of the batch size.
WINDOW_FACTOR = 4


def _due() -> ColumnElement[bool]:
    return or_(_outbox.c.next_attempt_at.is_(None), _outbox.c.next_attempt_at <= func.now())


def _from_window(limit: int) -> Select[tuple[int]]:
    """Rows of the keys whose heads were locked, among the oldest WINDOW_FACTOR * limit."""
    oldest = (
        select(_outbox.c.seq, _outbox.c.topic, _outbox.c.key)
        .where(_outbox.c.sent_at.is_(None))
        .order_by(_outbox.c.seq)
        .limit(WINDOW_FACTOR * limit)
        .cte("oldest")
        .prefix_with("MATERIALIZED")
    )
    # The window is a prefix of all unsent rows, so a key's first row in it is its head.
    firsts = select(func.min(oldest.c.seq)).group_by(oldest.c.topic, oldest.c.key)
    heads = (
        select(_outbox.c.topic, _outbox.c.key)
        .where(_outbox.c.seq.in_(firsts), _outbox.c.sent_at.is_(None), _due())
        .order_by(_outbox.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("heads")
        .prefix_with("MATERIALIZED")
    )
    return select(oldest.c.seq).join(
        heads, and_(oldest.c.topic == heads.c.topic, oldest.c.key == heads.c.key)
    )


def _from_search(limit: int) -> Select[tuple[int]]:
    """Rows of the keys whose heads were locked, found among all unsent rows."""
    older = _outbox.alias("older")
    heads = (
        select(_outbox.c.topic, _outbox.c.key)
        .where(
            _outbox.c.sent_at.is_(None),
            _due(),
            ~exists().where(
                older.c.sent_at.is_(None),
                older.c.topic == _outbox.c.topic,
                older.c.key == _outbox.c.key,
                older.c.seq < _outbox.c.seq,
            ),
        )
        .order_by(_outbox.c.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("heads")
        .prefix_with("MATERIALIZED")
    )
    pending = _outbox.alias("pending")
    return (
        select(pending.c.seq)
        .where(
            pending.c.sent_at.is_(None),
            tuple_(pending.c.topic, pending.c.key).in_(select(heads.c.topic, heads.c.key)),
        )
        .order_by(pending.c.seq)
        .limit(limit)
    )


async def _lock_rows(
    connection: AsyncConnection, candidates: Select[tuple[int]], limit: int
) -> list[ClaimedEvent]:
    statement = (
        select(
            _outbox.c.seq,
            _outbox.c.id,
            _outbox.c.topic,
            _outbox.c.key,
            _outbox.c.event_type,
            cast(_outbox.c.payload, Text).label("value"),
            _outbox.c.request_id,
            _outbox.c.attempts,
        )
        .where(_outbox.c.seq.in_(candidates), _outbox.c.sent_at.is_(None))
        .order_by(_outbox.c.seq)
        .limit(limit)
        .with_for_update(of=_outbox)
    )
    rows = (await connection.execute(statement)).all()
    return [
        ClaimedEvent(
            seq=row.seq,
            id=row.id,
            topic=row.topic,
            key=row.key,
            event_type=row.event_type,
            value=row.value,
            request_id=row.request_id,
            attempts=row.attempts,
        )
        for row in rows
    ]


async def claim_batch(connection: AsyncConnection, limit: int) -> list[ClaimedEvent]:
    """Lock up to `limit` rows that may be published now, in `seq` order (see module doc)."""
    claimed = await _lock_rows(connection, _from_window(limit), limit)
    if not claimed:
        claimed = await _lock_rows(connection, _from_search(limit), limit)
    return claimed


async def mark_sent(connection: AsyncConnection, seqs: Sequence[int]) -> None:
    """Record the broker's acknowledgement (clock time, not the transaction's start)."""
    if not seqs:
        return
    # One array parameter: the same statement text (and prepared statement) for every batch.
    await connection.execute(
        sql_update(_outbox)
        .where(_outbox.c.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger))))
        .values(sent_at=func.clock_timestamp(), last_error=None, next_attempt_at=None),
        {"seqs": list(seqs)},
    )


async def record_failures(connection: AsyncConnection, failures: Sequence[FailedEvent]) -> None:
    """attempts + 1, the error, and the next attempt time computed by the database's clock."""
    if not failures:
        return
    retry_at = func.clock_timestamp() + func.make_interval(
        0, 0, 0, 0, 0, 0, bindparam("b_delay", type_=Float)
    )
    await connection.execute(
        sql_update(_outbox)
        .where(_outbox.c.seq == bindparam("b_seq"))
        .values(
            attempts=_outbox.c.attempts + 1,
            last_error=bindparam("b_error"),
            next_attempt_at=retry_at,
        ),
        [{"b_seq": f.seq, "b_error": f.error, "b_delay": f.retry_in_seconds} for f in failures],
    )


async def prune_sent(connection: AsyncConnection, sent_before: datetime, *, limit: int) -> int:
    """Delete up to `limit` rows sent before `sent_before`; unsent rows are never touched."""
    doomed = (
        select(_outbox.c.seq)
        .where(_outbox.c.sent_at.is_not(None), _outbox.c.sent_at < sent_before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await connection.execute(delete(_outbox).where(_outbox.c.seq.in_(doomed)))
    return int(result.rowcount)
