"""Adding rows to the outbox inside the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import uuid7
from app.request_context import current_request_id

# Core, not the ORM entity: the ORM's bulk insert path costs more than the rows.
_INSERT = insert(t.outbox_event)


@dataclass(frozen=True)
class PendingEvent:
    topic: str
    key: str
    event_type: str
    payload: Mapping[str, Any]


async def enqueue(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    events: Sequence[PendingEvent],
    *,
    request_id: str | None = None,
) -> None:
    """Stage events for the relay; they leave the process only if this transaction commits."""
    if not events:
        return
    request_id = staging_request_id(request_id)
    connection = await session.connection()
    await connection.execute(
        _INSERT,
        [
            {
                "id": uuid7(),
                "merchant_id": merchant_id,
                "topic": e.topic,
                "key": e.key,
                "event_type": e.event_type,
                "payload": dict(e.payload),
                "request_id": request_id,
            }
            for e in events
        ],
    )


def staging_request_id(request_id: str | None) -> str | None:
    """The request id outbox rows carry: the given one, else the current request's."""
    return request_id or current_request_id()


def event_rows(events: Sequence[PendingEvent]) -> list[dict[str, Any]]:
    """The outbox rows of `events` as JSON-ready objects (new ids, `n` their order), for a
    statement that inserts them from one JSON array."""
    return [
        {
            "n": n,
            "id": str(uuid7()),
            "topic": e.topic,
            "key": e.key,
            "event_type": e.event_type,
            "payload": dict(e.payload),
        }
        for n, e in enumerate(events)
    ]
