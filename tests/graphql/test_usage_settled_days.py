# ruff: noqa: E501  (GraphQL documents read better on one line)
"""usageReport over past days: whole settled days come from the daily totals the settling
job summed, the partial days at the edges (and days not summed yet) from the movements,
and the two add up to the same report. A report only reads."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.services.ledger_days import settle_ledger_days
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

REPORT = """query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) {
  lines(first: 10) { nodes { opening received adjustedIn wasted closing actualUsage theoreticalUsage variance } } } }"""


async def test_settled_days_and_edges_add_up_and_a_report_after_settling_reads_the_totals(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = await seed.location(sessions, MERCHANT_A)
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock = await seed.stock(sessions, MERCHANT_A, location, ItemType.MATERIAL, flour, "0")
    today = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
    day = [today - timedelta(days=n) for n in range(8)]  # day[5] is five days ago, 00:00
    # (time, type, delta on hand, delta reserved): a history written in the past, the way
    # the service would have written it then.
    history = [
        (day[6] + timedelta(hours=20), MovementType.PURCHASE_RECEIPT, 500, 0),  # before the period
        (day[5] + timedelta(hours=10), MovementType.PURCHASE_RECEIPT, 100, 0),  # first edge
        (day[4] + timedelta(hours=12), MovementType.WASTE, -5, 0),  # settled day
        (day[4] + timedelta(hours=13), MovementType.SALE_RESERVATION, 0, 40),
        (day[3] + timedelta(hours=9), MovementType.ADJUSTMENT, 7, 0),  # settled day
        (day[3] + timedelta(hours=9, minutes=5), MovementType.KITCHEN_CONSUMPTION, -40, -40),
        (day[2] + timedelta(hours=11), MovementType.ADJUSTMENT, -3, 0),  # last edge
        (day[2] + timedelta(hours=13), MovementType.WASTE, -50, 0),  # after the period
    ]
    on_hand = reserved = Decimal(0)
    async with sessions.begin() as session:
        for n, (at, kind, d_on_hand, d_reserved) in enumerate(history):
            on_hand, reserved = on_hand + d_on_hand, reserved + d_reserved
            await session.execute(
                insert(t.stock_movement).values(
                    id=uuid.uuid4(),
                    merchant_id=MERCHANT_A,
                    stock_id=stock,
                    location_id=location,
                    type=kind,
                    reference_type=ReferenceType.MANUAL,
                    reference_id=f"history-{n}",
                    delta_on_hand=d_on_hand,
                    delta_reserved=d_reserved,
                    on_hand_after=on_hand,
                    reserved_after=reserved,
                    occurred_at=at,
                )
            )
        await session.execute(
            update(t.stock).where(t.stock.c.id == stock).values(on_hand=on_hand, reserved=reserved)
        )
    period = {
        "l": global_id("Location", location),
        "f": (day[5] + timedelta(hours=6)).isoformat(),
        "t": (day[2] + timedelta(hours=12)).isoformat(),
    }

    async def summed_days() -> list[date]:
        async with sessions() as session:
            return list(
                (
                    await session.execute(
                        select(t.ledger_day_summed.c.day)
                        .where(t.ledger_day_summed.c.location_id == location)
                        .order_by(t.ledger_day_summed.c.day)
                    )
                ).scalars()
            )

    first = await gql.data(REPORT, period)
    after_report = await summed_days()
    await settle_ledger_days(sessions)  # type: ignore[arg-type]
    settled = await summed_days()
    second = await gql.data(REPORT, period)

    # Opening 500; in the period 100 received, 7 added, 5 wasted, 40 consumed, 3 taken
    # out: closing 559. Used 500 + 100 + 7 - 559 = 48 (5 + 40 + 3); the sale explains 40.
    assert first["usageReport"]["lines"]["nodes"] == [
        {
            "opening": "500",
            "received": "100",
            "adjustedIn": "7",
            "wasted": "5",
            "closing": "559",
            "actualUsage": "48",
            "theoreticalUsage": "40",
            "variance": "8",
        }
    ]
    # The report summed nothing; the job summed every settled day since the first
    # movement, the period's two whole days among them; the report then reads them.
    assert after_report == []
    assert day[6].date() == settled[0]
    assert {day[4].date(), day[3].date()} <= set(settled)
    assert second == first


async def test_periods_at_the_calendars_ends_are_read_without_a_date_overflow(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = global_id("Location", await seed.location(sessions, MERCHANT_A))

    for start, end in (
        ("0001-01-01T00:00:00Z", "0001-12-31T00:00:00Z"),
        ("9999-12-01T00:00:00Z", "9999-12-31T23:59:59Z"),
    ):
        result = await gql(REPORT, {"l": location, "f": start, "t": end})

        assert result.errors is None, (start, result.errors)
        assert result.data == {"usageReport": {"lines": {"nodes": []}}}
