"""The relay's SQL: claim a batch in per-key order, mark it sent, record failures, prune.

How a batch is claimed, and why this way
----------------------------------------
Per-key order means: a row is never published while an older unsent row of the
same (topic, key) exists — whether that older row is held by another relay or
waiting for its retry time. `FOR UPDATE SKIP LOCKED` alone does not give that:
relay B would skip key K's row 1 (locked by relay A) and happily send row 2.

So a relay claims *keys*, through their oldest unsent row (the key's head):

1. Walk the unsent rows in `seq` order and keep only heads that are due — rows
   with no older unsent row of their key (`NOT EXISTS`, answered by the partial
   index on (topic, key, seq)) — locking them `FOR UPDATE SKIP LOCKED`. The
   locked head is the key's mutex: another relay skips it, and sees every later
   row of that key as "not a head" because the head is still unsent. A head
   waiting for its retry is not due, so nothing behind it moves either.
2. In the same statement, take the unsent rows of the claimed keys in `seq`
   order up to the batch size and lock them `FOR UPDATE`. Each key thus
   contributes a prefix of its unsent rows, so a hot key drains a whole run
   per batch instead of one row per round trip. Nobody else can hold these
   rows: only the owner of a key's head claims the rest of that key.

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

from sqlalchemy import Float, Text, bindparam, cast, delete, exists, func, or_, select, tuple_
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


async def claim_batch(connection: AsyncConnection, limit: int) -> list[ClaimedEvent]:
    """Lock up to `limit` rows that may be published now, in `seq` order (see module doc)."""
    older = _outbox.alias("older")
    heads = (
        select(_outbox.c.topic, _outbox.c.key)
        .where(
            _outbox.c.sent_at.is_(None),
            or_(_outbox.c.next_attempt_at.is_(None), _outbox.c.next_attempt_at <= func.now()),
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
        .where(
            _outbox.c.sent_at.is_(None),
            tuple_(_outbox.c.topic, _outbox.c.key).in_(select(heads.c.topic, heads.c.key)),
        )
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


async def mark_sent(connection: AsyncConnection, seqs: Sequence[int]) -> None:
    """Record the broker's acknowledgement (clock time, not the transaction's start)."""
    if not seqs:
        return
    await connection.execute(
        sql_update(_outbox)
        .where(_outbox.c.seq.in_(list(seqs)))
        .values(sent_at=func.clock_timestamp(), last_error=None, next_attempt_at=None)
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
