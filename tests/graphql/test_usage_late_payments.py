# ruff: noqa: E501  (GraphQL documents read better on one line)
"""usageReport counts sales by their payment's occurredAt, not by when they were written:
on-time sales written across midnight or across the report's `to`, late payments from an
offline till landing in days already summed (before the settling job, after it, and while
it runs), and a cancellation long after its payment. Expected numbers are worked by hand
from the recipe (a latte takes 200 ml of milk)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import ItemType, KitchenStatus, MovementType, ReferenceType
from app.domain.kitchen import KitchenStatusChanged
from app.domain.ledger_days import last_settled_day
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.ledger_days import settle_ledger_days
from app.services.sales import apply_kitchen_status, apply_payment
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

D = Decimal
REPORT = """query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) {
  lines(first: 10) { nodes { stock { item { ... on Material { name } ... on InventoryItem { name } } } theoreticalUsage } } } }"""
RECIPE = "mutation($v: ID!, $l: [RecipeLineInput!]!) { recipeSet(productVariantId: $v, lines: $l) { userErrors { message } } }"

TODAY = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
DAY = [TODAY - timedelta(days=n) for n in range(6)]  # DAY[2] is two days ago, 00:00


class Shop:
    def __init__(self, gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.gql, self.sessions = gql, sessions

    async def open(self) -> None:
        s = self.sessions
        self.location = await seed.location(s, MERCHANT_A)
        self.milk = await seed.material(s, MERCHANT_A, "Milk", "ml")
        self.milk_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.MATERIAL, self.milk
        )
        _, self.latte = await seed.item(s, MERCHANT_A, "Latte", track=False)
        self.cookie, self.cookie_variant = await seed.item(s, MERCHANT_A, "Cookie")
        self.cookie_stock = await seed.stock(
            s, MERCHANT_A, self.location, ItemType.PRODUCT, self.cookie
        )
        data = await self.gql.data(
            RECIPE,
            {
                "v": str(self.latte),
                "l": [{"materialId": global_id("Material", self.milk), "quantity": "200"}],
            },
        )
        assert data["recipeSet"]["userErrors"] == []

    async def history(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Movements written in the past, as the service wrote them then: (stock, written
        at, type, delta on hand, delta reserved, payment time)."""
        totals: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
        async with self.sessions.begin() as session:
            for n, (stock, at, kind, d_on_hand, d_reserved, sold_at) in enumerate(rows):
                on_hand, reserved = totals.get(stock, (D(0), D(0)))
                on_hand, reserved = on_hand + d_on_hand, reserved + d_reserved
                totals[stock] = (on_hand, reserved)
                await session.execute(
                    insert(t.stock_movement).values(
                        id=uuid.uuid4(),
                        merchant_id=MERCHANT_A,
                        stock_id=stock,
                        location_id=self.location,
                        type=kind,
                        reference_type=ReferenceType.MANUAL,
                        reference_id=f"history-{n}",
                        delta_on_hand=d_on_hand,
                        delta_reserved=d_reserved,
                        on_hand_after=on_hand,
                        reserved_after=reserved,
                        occurred_at=at,
                        sold_at=sold_at,
                    )
                )
            for stock, (on_hand, reserved) in totals.items():
                await session.execute(
                    update(t.stock)
                    .where(t.stock.c.id == stock)
                    .values(on_hand=on_hand, reserved=reserved)
                )

    async def pay(
        self,
        paid_at: datetime,
        lattes: int,
        cookies: int = 0,
        *,
        uow: UnitOfWork | None = None,
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """A payment that occurred at `paid_at`, written now; (sale order, latte line)."""
        order, latte_line = uuid.uuid4(), uuid.uuid4()
        items = [SaleItem(latte_line, self.latte, D(lattes))]
        if cookies:
            items.append(SaleItem(uuid.uuid4(), self.cookie_variant, D(cookies)))
        await apply_payment(
            uow or self.sessions,  # type: ignore[arg-type]
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                location_id=self.location,
                sale_order_id=order,
                items=tuple(items),
                occurred_at=paid_at,
            ),
        )
        return order, latte_line

    async def cancel(self, order: uuid.UUID, line: uuid.UUID, lattes: int) -> None:
        """The kitchen cancels `lattes` of the line now, long after the payment."""
        await apply_kitchen_status(
            self.sessions,  # type: ignore[arg-type]
            KitchenStatusChanged(
                event_id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                location_id=self.location,
                sale_order_id=order,
                sale_order_item_id=line,
                kitchen_ticket_item_id=uuid.uuid4(),
                product_variant_id=self.latte,
                quantity=D(lattes),
                status=KitchenStatus.CANCELLED,
                occurred_at=datetime.now(UTC),
            ),
        )

    async def theoretical(self, start: datetime, end: datetime) -> dict[str, str]:
        data = await self.gql.data(
            REPORT,
            {
                "l": global_id("Location", self.location),
                "f": start.isoformat(),
                "t": end.isoformat(),
            },
        )
        return {
            n["stock"]["item"]["name"]: n["theoreticalUsage"]
            for n in data["usageReport"]["lines"]["nodes"]
        }

    async def summed_days(self) -> int:
        async with self.sessions() as session:
            return int(
                (
                    await session.execute(
                        select(func.count())
                        .select_from(t.ledger_day_summed)
                        .where(t.ledger_day_summed.c.location_id == self.location)
                    )
                ).scalar_one()
            )


class SettlesBeforeCommit(UnitOfWork):
    """A unit of work whose transaction, once its writes are made and before it commits,
    lets the settling job run on another connection: a late payment in flight while its
    day is summed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions.kw["bind"])
        self.other = sessions
        self.summed: list[int] = []

    @contextlib.asynccontextmanager
    async def transaction(self, *, lock_keys: Iterable[str] = ()) -> AsyncIterator[AsyncSession]:
        async with super().transaction(lock_keys=lock_keys) as session:
            yield session
            self.summed.append(await settle_ledger_days(self.other))  # type: ignore[arg-type]


async def test_sales_count_by_their_payment_time_whenever_they_are_written(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = Shop(gql, sessions)
    await shop.open()
    milk, cookie = shop.milk_stock, shop.cookie_stock
    rm, rv = MovementType.PURCHASE_RECEIPT, MovementType.SALE_RESERVATION
    # Written on time, in the past: a latte at noon on DAY[3]; two lattes paid ten
    # seconds before DAY[1] began and written just after it (they count on DAY[2]);
    # three paid at 11:59 on DAY[1], written at 12:01; an hour later the kitchen cancels
    # one of those three (a late release: it counts at 11:59 with its sale).
    await shop.history(
        [
            (milk, DAY[5], rm, D(10000), D(0), None),
            (cookie, DAY[5], rm, D(50), D(0), None),
            (
                milk,
                DAY[3] + timedelta(hours=12),
                rv,
                D(0),
                D(200),
                DAY[3] + timedelta(hours=11, minutes=59, seconds=55),
            ),
            (
                milk,
                DAY[1] + timedelta(seconds=10),
                rv,
                D(0),
                D(400),
                DAY[1] - timedelta(seconds=10),
            ),
            (
                milk,
                DAY[1] + timedelta(hours=12, minutes=1),
                rv,
                D(0),
                D(600),
                DAY[1] + timedelta(hours=11, minutes=59),
            ),
            (
                milk,
                DAY[1] + timedelta(hours=13),
                MovementType.KITCHEN_RELEASE,
                D(0),
                D(-200),
                DAY[1] + timedelta(hours=11, minutes=59),
            ),
        ]
    )
    # An offline till syncs a latte paid at 10:00 on DAY[2] now, before any day is summed.
    await shop.pay(DAY[2] + timedelta(hours=10), 1)

    three_days = (DAY[3], TODAY)
    # 200 + 400 + 600 - 200 + 200, read from the movements themselves: nothing is summed.
    assert await shop.theoretical(*three_days) == {"Milk": "1200", "Cookie": "0"}
    assert await shop.summed_days() == 0  # the report wrote nothing

    # The settling job sums every settled day since the first movement: DAY[5] to
    # DAY[2] at least (DAY[1] too once an hour of today has passed).
    now = datetime.now(UTC)
    await settle_ledger_days(sessions, now=now)  # type: ignore[arg-type]
    assert await shop.summed_days() == (last_settled_day(now) - DAY[5].date()).days + 1
    assert await shop.theoretical(*three_days) == {"Milk": "1200", "Cookie": "0"}

    # Late payments into summed days: two lattes and two cookies paid at 23:00 on DAY[2];
    # a latte paid at 11:00 on DAY[1], cancelled by the kitchen now; and a latte paid
    # now, on time.
    await shop.pay(DAY[2] + timedelta(hours=23), 2, 2)
    order, line = await shop.pay(DAY[1] + timedelta(hours=11), 1)
    await shop.cancel(order, line, 1)
    await shop.pay(datetime.now(UTC), 1)

    # 1200 + 400 (DAY[2] 23:00) + 200 - 200 (DAY[1] 11:00, cancelled); the cookies.
    assert await shop.theoretical(*three_days) == {"Milk": "1600", "Cookie": "2"}
    # Noon to noon: DAY[2] 23:00 (400), the two at 23:59:50 (400), DAY[1] 11:00 (200 - 200),
    # the three at 11:59 less the cancelled one (600 - 200); not DAY[2] 10:00 nor DAY[3].
    noon_to_noon = (DAY[2] + timedelta(hours=12), DAY[1] + timedelta(hours=12))
    assert await shop.theoretical(*noon_to_noon) == {"Milk": "1200", "Cookie": "2"}
    # From that noon on: only the latte paid now (the three at 11:59 were written at
    # 12:01 but paid before).
    since_noon = (DAY[1] + timedelta(hours=12), datetime.now(UTC) + timedelta(hours=1))
    assert await shop.theoretical(*since_noon) == {"Milk": "200", "Cookie": "0"}
    # DAY[2] up to five seconds before its end: 10:00 (200), 23:00 (400), 23:59:50 (400).
    assert await shop.theoretical(DAY[2], DAY[1] - timedelta(seconds=5)) == {
        "Milk": "1000",
        "Cookie": "2",
    }


async def test_a_late_payment_in_flight_while_its_day_is_summed_counts_once(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = Shop(gql, sessions)
    await shop.open()
    await shop.history(
        [(shop.milk_stock, DAY[4], MovementType.PURCHASE_RECEIPT, D(5000), D(0), None)]
    )
    period = (DAY[3], TODAY)

    # Written, not committed, while the job sums DAY[4] to DAY[2]; then committed.
    in_flight = SettlesBeforeCommit(sessions)
    await shop.pay(DAY[2] + timedelta(hours=8), 3, uow=in_flight)
    assert in_flight.summed[0] >= 3
    # And one committed after its day was summed, one before the next run.
    await shop.pay(DAY[3] + timedelta(hours=8), 1)
    assert await shop.theoretical(*period) == {"Milk": "800"}
    await settle_ledger_days(sessions)  # type: ignore[arg-type]

    # 3 x 200 + 200: each once, from the late sales' index, never from a daily total.
    assert await shop.theoretical(*period) == {"Milk": "800"}
    async with sessions() as session:
        in_totals = (
            await session.execute(
                select(func.coalesce(func.sum(t.ledger_day.c.reserved_by_sales), 0)).where(
                    t.ledger_day.c.location_id == shop.location
                )
            )
        ).scalar_one()
    assert in_totals == 0
