"""The settling job (app/services/ledger_days.py): it sums the settled days of each
location with movements into daily totals, in the background, each day once even when
two processes settle at once; today stays unsummed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.ledger_days import last_settled_day
from app.services.ledger_days import settle_ledger_days, settling_ledger_days
from tests.graphql import seed

Sessions = async_sessionmaker[AsyncSession]
MERCHANT = uuid.UUID("00000000-0000-7000-8000-00000000d1a1")
TODAY = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)


async def a_location_with_history(sessions: Sessions, days_ago: list[int]) -> uuid.UUID:
    """A location whose flour got 10 g received at noon on each of `days_ago`."""
    location = await seed.location(sessions, MERCHANT, f"L{uuid.uuid4().hex[:6]}")
    flour = await seed.material(sessions, MERCHANT, f"Flour {uuid.uuid4().hex[:6]}")
    stock = await seed.stock(sessions, MERCHANT, location, ItemType.MATERIAL, flour)
    async with sessions.begin() as session:
        for n, ago in enumerate(sorted(days_ago, reverse=True)):
            await session.execute(
                insert(t.stock_movement).values(
                    id=uuid.uuid4(),
                    merchant_id=MERCHANT,
                    stock_id=stock,
                    location_id=location,
                    type=MovementType.PURCHASE_RECEIPT,
                    reference_type=ReferenceType.MANUAL,
                    reference_id=f"r-{n}",
                    delta_on_hand=Decimal(10),
                    delta_reserved=Decimal(0),
                    on_hand_after=Decimal(10 * (n + 1)),
                    reserved_after=Decimal(0),
                    occurred_at=TODAY - timedelta(days=ago) + timedelta(hours=12),
                )
            )
    return location


async def totals(sessions: Sessions, location: uuid.UUID) -> tuple[list[date], dict[date, Decimal]]:
    async with sessions() as session:
        summed = (
            await session.execute(
                select(t.ledger_day_summed.c.day)
                .where(t.ledger_day_summed.c.location_id == location)
                .order_by(t.ledger_day_summed.c.day)
            )
        ).scalars()
        received = await session.execute(
            select(t.ledger_day.c.day, t.ledger_day.c.received).where(
                t.ledger_day.c.location_id == location
            )
        )
        return list(summed), {row.day: row.received for row in received}


async def test_the_background_job_sums_settled_days_since_the_first_movement(
    sessions: Sessions,
) -> None:
    busy = await a_location_with_history(sessions, [4, 2, 0])
    quiet = await seed.location(sessions, MERCHANT, "No movements")
    last = last_settled_day(datetime.now(UTC))

    async with settling_ledger_days(sessions, 0.05, 366, first_delay=0) as settler:  # type: ignore[arg-type]
        async with asyncio.timeout(30):  # a hang guard, not a measure
            while settler.stats.runs < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    summed, received = await totals(sessions, busy)
    first = (TODAY - timedelta(days=4)).date()
    assert summed == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert TODAY.date() not in summed
    # Days without movements are summed with no row; today's receipt is not summed.
    assert received == {first: Decimal(10), (TODAY - timedelta(days=2)).date(): Decimal(10)}
    assert (await totals(sessions, quiet))[0] == []
    assert settler.stats.days == len(summed)


async def test_two_processes_settling_at_once_sum_each_day_once(sessions: Sessions) -> None:
    location = await a_location_with_history(sessions, [6, 5, 3])

    done = await asyncio.gather(
        settle_ledger_days(sessions),  # type: ignore[arg-type]
        settle_ledger_days(sessions),  # type: ignore[arg-type]
    )

    summed, received = await totals(sessions, location)
    assert sum(done) == len(summed) == len(set(summed))
    assert sum(received.values()) == Decimal(30)
