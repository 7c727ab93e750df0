"""Did the relay deliver the outbox? Compare the outbox rows with what the broker holds."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.kafka import topics
from tests.outbox.helpers import read_published

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True)
class Delivery:
    staged: int  # outbox rows of the merchant
    delivered: int  # of those, found on the broker
    lost: int  # staged but not on the broker
    resent: int  # extra copies on the broker (at-least-once publishing)
    out_of_order_keys: int  # keys whose stock versions do not grow one by one


async def unsent(sessions: Sessions) -> int:
    async with sessions() as session:
        statement = select(func.count()).where(t.outbox_event.c.sent_at.is_(None))
        return int((await session.execute(statement)).scalar_one())


async def wait_until_sent(sessions: Sessions, within: float, alive: Iterable[object] = ()) -> None:
    deadline = time.monotonic() + within
    while (left := await unsent(sessions)) > 0:
        for process in alive:
            assert getattr(process, "alive", True), "a service process died"
        assert time.monotonic() < deadline, f"{left} outbox rows still unsent after {within}s"
        await asyncio.sleep(0.25)


async def delivery(
    sessions: Sessions,
    bootstrap: str,
    merchant_id: uuid.UUID,
    names: Iterable[str] = (topics.INVENTORY_STOCK_CHANGED, topics.MATERIAL_STOCK_CHANGED),
    *,
    since_seq: int = 0,
) -> Delivery:
    """Every outbox row of `merchant_id` after `since_seq` against the broker's records."""
    outbox = t.outbox_event
    async with sessions() as session:
        rows = (
            await session.execute(
                select(outbox.c.topic, outbox.c.payload["eventId"].astext).where(
                    outbox.c.merchant_id == merchant_id,
                    outbox.c.seq > since_seq,
                    outbox.c.topic.in_(list(names)),
                )
            )
        ).all()
    staged = {(r[0], r[1]) for r in rows}
    received = await read_published(bootstrap, merchant_id, names)
    copies = Counter((r.topic, str(r.payload["eventId"])) for r in received)
    versions: dict[tuple[str, str], list[int]] = {}
    for r in sorted(received, key=lambda r: (r.topic, r.partition, r.offset)):
        versions.setdefault((r.topic, r.key), []).append(int(r.payload["version"]))
    unordered = sum(1 for v in versions.values() if _first_seen(v) != sorted(set(v)))
    return Delivery(
        staged=len(staged),
        delivered=len(staged & set(copies)),
        lost=len(staged - set(copies)),
        resent=sum(n - 1 for k, n in copies.items() if k in staged),
        out_of_order_keys=unordered,
    )


async def last_seq(sessions: Sessions) -> int:
    async with sessions() as session:
        value = (await session.execute(select(func.max(t.outbox_event.c.seq)))).scalar_one()
    return int(value or 0)


def _first_seen(versions: list[int]) -> list[int]:
    return list(dict.fromkeys(versions))
