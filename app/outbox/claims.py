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
Both statements are written so that no plan can re-run a subquery per backlog
row (see `_COLUMNS`), because the table's statistics are usually stale exactly
when a backlog appears.

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
    Float,
    TextClause,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
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

# Every intermediate set is computed once (MATERIALIZED, ARRAY(...) init plans) and
# rows are then fetched by seq: the outbox's statistics are often stale (analyzed
# while everything was sent, then a backlog appears) and a planner that believes
# in one unsent row would otherwise re-run a subquery per row of the backlog.
_COLUMNS = """
SELECT seq, id, topic, key, event_type, CAST(payload AS text) AS value, request_id, attempts
FROM outbox_event"""
# For rows looked up by seq: written as CASE so that no partial index matches and
# the primary key is used. With a plain `sent_at IS NULL` the planner prefers the
# partial (topic, key, seq) index and scans all of it, including the dead entries
# of recently sent rows (~10x slower per claim in steady state). PostgreSQL still
# re-checks it on the newest row version before locking, which is what matters.
_UNSENT = "CASE WHEN sent_at IS NULL THEN true END"

# The window is a prefix of all unsent rows, so a key's first row in it is its head.
_FROM_WINDOW = text(
    """
WITH oldest AS MATERIALIZED (
    SELECT seq, min(seq) OVER (PARTITION BY topic, key) AS head_seq
    FROM (
        SELECT seq, topic, key FROM outbox_event
        WHERE sent_at IS NULL ORDER BY seq LIMIT :window
    ) AS window_rows
),
heads AS MATERIALIZED (
    SELECT seq FROM outbox_event
    WHERE seq = ANY (ARRAY(SELECT DISTINCT head_seq FROM oldest))
      AND """
    + _UNSENT
    + """ AND (next_attempt_at IS NULL OR next_attempt_at <= now())
    ORDER BY seq LIMIT :limit
    FOR UPDATE SKIP LOCKED
)"""
    + _COLUMNS
    + """
WHERE seq = ANY (ARRAY(
        SELECT seq FROM oldest
        WHERE head_seq = ANY (ARRAY(SELECT seq FROM heads))
        ORDER BY seq LIMIT :limit))
  AND """
    + _UNSENT
    + """
ORDER BY seq
FOR UPDATE"""
)

_FROM_SEARCH = text(
    """
WITH heads AS MATERIALIZED (
    SELECT seq, topic, key FROM outbox_event AS head
    WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
      AND NOT EXISTS (
          SELECT 1 FROM outbox_event AS older
          WHERE older.sent_at IS NULL AND older.topic = head.topic
            AND older.key = head.key AND older.seq < head.seq)
    ORDER BY seq LIMIT :limit
    FOR UPDATE SKIP LOCKED
)"""
    + _COLUMNS
    + """
WHERE seq = ANY (ARRAY(
        SELECT run.seq FROM heads
        CROSS JOIN LATERAL (
            SELECT pending.seq FROM outbox_event AS pending
            WHERE pending.topic = heads.topic AND pending.key = heads.key
              AND pending.sent_at IS NULL
            ORDER BY pending.seq LIMIT :limit) AS run
        ORDER BY run.seq LIMIT :limit))
  AND """
    + _UNSENT
    + """
ORDER BY seq
FOR UPDATE"""
)


async def _lock_rows(
    connection: AsyncConnection, statement: TextClause, **params: int
) -> list[ClaimedEvent]:
    rows = (await connection.execute(statement, params)).all()
    return [ClaimedEvent(*row) for row in rows]


async def claim_batch(connection: AsyncConnection, limit: int) -> list[ClaimedEvent]:
    """Lock up to `limit` rows that may be published now, in `seq` order (see module doc)."""
    claimed = await _lock_rows(connection, _FROM_WINDOW, window=WINDOW_FACTOR * limit, limit=limit)
    if not claimed:
        claimed = await _lock_rows(connection, _FROM_SEARCH, limit=limit)
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
