"""A product sold before inventory knew it is deducted when the catalogue first says it is
tracked: every arrival order of payments, product-variant CDC and /v1, each delivered
twice, ends in the same stock and the same ledger."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.queries.unmapped_sales import unmapped_sales
from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier
from app.services.sales import apply_payment
from consumers import product_variants
from consumers.messages import InboundMessage
from tests.consumers.examples import example
from tests.rest import seed
from tests.rest.conftest import MERCHANT_A, Api

Sessions = async_sessionmaker[AsyncSession]
FAR = datetime(2100, 1, 1, tzinfo=UTC)
Step = Callable[[], Awaitable[Any]]


class World:
    """One variant sold by two sale orders at two locations before anyone described it."""

    def __init__(self, api: Api, sessions: Sessions, front: uuid.UUID, back: uuid.UUID) -> None:
        self.api, self.sessions = api, sessions
        self.front, self.back = front, back
        self.variant = uuid.uuid4()
        self.orders = (uuid.uuid4(), uuid.uuid4())
        # A re-delivered payment names the same sale order items.
        self.order_items = ((uuid.uuid4(), uuid.uuid4()), (uuid.uuid4(),))
        # Paid a while before the catalogue described the item (a re-delivery says so too).
        self.paid_at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)

    async def pay(self) -> None:
        # The first order lists the variant twice (2 + 1), the second once, elsewhere.
        lines = ((self.front, (Decimal(2), Decimal(1))), (self.back, (Decimal(1),)))
        for order, ids, (location, quantities) in zip(
            self.orders, self.order_items, lines, strict=True
        ):
            await apply_payment(
                self.sessions,
                PaymentSucceeded(
                    event_id=uuid.uuid4(),
                    merchant_id=MERCHANT_A,
                    location_id=location,
                    sale_order_id=order,
                    items=tuple(
                        SaleItem(i, self.variant, q) for i, q in zip(ids, quantities, strict=True)
                    ),
                    occurred_at=self.paid_at,
                ),
            )

    async def cdc(self, *, tracked: bool = True, lsn: int = 24023128, op: str = "c") -> None:
        document = copy.deepcopy(example("cdc-product-variant-create").document)
        row = document["value"]["after"]
        row.update(id=str(self.variant), merchant_id=str(MERCHANT_A), track_inventory=tracked)
        document["value"]["op"] = op
        document["value"]["source"]["lsn"] = lsn
        message = InboundMessage(
            topic=document["topic"],
            partition=0,
            offset=0,
            key=json.dumps({"id": str(self.variant)}).encode(),
            value=json.dumps(document["value"]).encode(),
            headers=(),
        )
        await product_variants.handle(self.sessions, message)

    async def delete(self, *, tracked: bool | None, lsn: int = 24031200) -> None:
        """A CDC delete whose before-image states `tracked` (None: leaves it out)."""
        document = copy.deepcopy(example("cdc-product-variant-delete").document)
        row = document["value"]["before"]
        row.update(id=str(self.variant), merchant_id=str(MERCHANT_A), track_inventory=tracked)
        if tracked is None:
            del row["track_inventory"]
        document["value"]["source"]["lsn"] = lsn
        message = InboundMessage(
            topic=document["topic"],
            partition=0,
            offset=0,
            key=json.dumps({"id": str(self.variant)}).encode(),
            value=json.dumps(document["value"]).encode(),
            headers=(),
        )
        await product_variants.handle(self.sessions, message)

    async def pay_with_modifier(self) -> uuid.UUID:
        """A third order at the front: 1 of the variant with a modifier option no recipe
        uses (unmapped whatever the item turns out to be)."""
        option = uuid.uuid4()
        await apply_payment(
            self.sessions,
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                location_id=self.front,
                sale_order_id=uuid.uuid4(),
                items=(
                    SaleItem(
                        uuid.uuid4(), self.variant, Decimal(1), (SaleModifier(option, Decimal(2)),)
                    ),
                ),
                occurred_at=datetime.now(UTC),
            ),
        )
        return option

    async def unmapped(self) -> dict[str, list[tuple[uuid.UUID | None, str, int]]]:
        """unmappedSales of the variant per location: (modifier option, units, sale orders)."""
        found: dict[str, list[tuple[uuid.UUID | None, str, int]]] = {}
        async with self.sessions() as session:
            for name, location in (("front", self.front), ("back", self.back)):
                rows = await unmapped_sales(
                    session, MERCHANT_A, location, datetime(2000, 1, 1, tzinfo=UTC), FAR
                )
                found[name] = [
                    (r.modifier_option_id, str(r.quantity_sold), r.sales)
                    for r in rows
                    if r.product_variant_id == self.variant
                ]
        return found

    async def still_provisional(self) -> tuple[bool, int]:
        """(the item's provisional flag, its recorded sales left)."""
        item, sale = t.inventory_item, t.provisional_sale
        async with self.sessions() as session:
            row = (
                await session.execute(
                    select(item.c.id, item.c.provisional).where(
                        item.c.product_variant_id == self.variant
                    )
                )
            ).one()
            left = (
                await session.execute(
                    select(func.count()).where(sale.c.inventory_item_id == row.id)
                )
            ).scalar_one()
        return row.provisional, left

    async def post(self, expected_status: int) -> None:
        body = {
            "productVariantId": str(self.variant),
            "name": "Cookie",
            "trackInventory": True,
            "initialStocks": [
                {"locationId": str(self.front), "quantity": "10"},
                {"locationId": str(self.back), "quantity": "4"},
            ],
        }
        response = await self.api.post("/product-variants", json=body)
        assert response.status_code == expected_status, response.text

    async def put(self) -> None:
        response = await self.api.put(
            f"/product-variants/{self.variant}", json={"trackInventory": True}
        )
        assert response.status_code in (200, 201), response.text

    async def outcome(self) -> tuple[dict[uuid.UUID, str], list[tuple[str, ...]]]:
        """(on hand per location, the ledger in order) of the variant's stocks."""
        stock, ledger, item = t.stock, t.stock_movement, t.inventory_item
        of_variant = select(item.c.id).where(item.c.product_variant_id == self.variant)
        async with self.sessions() as session:
            stocks = (
                await session.execute(
                    select(stock.c.id, stock.c.location_id, stock.c.on_hand).where(
                        stock.c.inventory_item_id.in_(of_variant.scalar_subquery())
                    )
                )
            ).all()
            moves = (
                await session.execute(
                    select(ledger.c.stock_id, ledger.c.type, ledger.c.reference_type)
                    .add_columns(ledger.c.reference_id, ledger.c.delta_on_hand, ledger.c.actor)
                    .where(ledger.c.stock_id.in_([s.id for s in stocks]))
                    .order_by(ledger.c.id)
                )
            ).all()
        where = {s.id: s.location_id for s in stocks}
        names = {self.front: "front", self.back: "back"}
        return (
            {s.location_id: str(s.on_hand) for s in stocks},
            [
                (
                    names[where[m.stock_id]],
                    m.type,
                    m.reference_type,
                    m.reference_id,
                    str(m.delta_on_hand),
                    m.actor if m.type == "SALE" else "",
                )
                for m in moves
            ],
        )

    def sales(self) -> list[tuple[str, ...]]:
        """The SALE rows the rules define: one per sale order at its location, as the
        payment consumer's."""
        return [
            ("front", "SALE", "SALE_ORDER", str(self.orders[0]), "-3", "consumer:payment.success"),
            ("back", "SALE", "SALE_ORDER", str(self.orders[1]), "-1", "consumer:payment.success"),
        ]


@pytest.fixture
async def world(api: Api, sessions: Sessions) -> World:
    return World(
        api, sessions, await seed.location(sessions, "Front"), await seed.location(sessions, "Back")
    )


def deliveries(world: World, order: str) -> list[Step]:
    """Each arrival order, every message delivered twice (and a CDC snapshot read)."""
    cdc = [world.cdc, world.cdc, lambda: world.cdc(op="r")]
    if order == "payment then CDC":
        return [world.pay, world.pay, *cdc, world.pay]
    if order == "CDC then payment":
        return [*cdc, world.pay, world.pay]
    if order == "payment then /v1 PUT":
        return [world.pay, world.put, world.pay, world.put]
    if order == "/v1 POST then payment":
        return [lambda: world.post(201), lambda: world.post(200), world.pay, world.pay]
    assert order == "payment then /v1 POST"
    return [world.pay, world.pay, lambda: world.post(201), lambda: world.post(200), world.pay]


@pytest.mark.parametrize("order", ["payment then CDC", "CDC then payment", "payment then /v1 PUT"])
async def test_the_sales_are_deducted_once_in_every_arrival_order(world: World, order: str) -> None:
    for step in deliveries(world, order):
        await step()

    on_hand, ledger = await world.outcome()

    assert on_hand == {world.front: "-3", world.back: "-1"}
    assert sorted(ledger) == sorted(world.sales())


@pytest.mark.parametrize("order", ["/v1 POST then payment", "payment then /v1 POST"])
async def test_initial_stocks_are_the_stock_before_the_recorded_sales(
    world: World, order: str
) -> None:
    for step in deliveries(world, order):
        await step()

    on_hand, ledger = await world.outcome()

    assert on_hand == {world.front: str(10 - 3), world.back: str(4 - 1)}
    initial = [(place, "ADJUSTMENT", "MANUAL") for place in ("front", "back")]
    assert sorted(row[:3] for row in ledger if row[1] == "ADJUSTMENT") == sorted(initial)
    assert sorted(row[4] for row in ledger if row[1] == "ADJUSTMENT") == ["10", "4"]
    # Each stock's initial movement comes before its sale, whatever arrived first.
    for place in ("front", "back"):
        assert [row[1] for row in ledger if row[0] == place] == ["ADJUSTMENT", "SALE"]
    assert sorted(row for row in ledger if row[1] == "SALE") == sorted(world.sales())


@pytest.mark.parametrize("first", ["payment", "CDC"])
async def test_an_untracked_item_moves_nothing_and_later_tracking_changes_nothing_back(
    world: World, first: str
) -> None:
    untracked = lambda: world.cdc(tracked=False)  # noqa: E731
    steps = [world.pay, untracked] if first == "payment" else [untracked, world.pay]
    for step in [*steps, world.pay, untracked]:
        await step()
    # The catalogue decided once; turning tracking on later deducts only later sales.
    await world.cdc(tracked=True, lsn=24029912, op="u")

    on_hand, ledger = await world.outcome()

    assert (on_hand, ledger) == ({}, [])


async def test_the_deductions_go_out_as_stock_changed_events(
    world: World, sessions: Sessions
) -> None:
    await world.pay()
    async with sessions() as session:
        before = (await session.execute(select(t.outbox_event.c.payload))).scalars().all()
    await world.cdc()

    async with sessions() as session:
        staged = (
            (
                await session.execute(
                    select(t.outbox_event.c.payload)
                    .where(t.outbox_event.c.topic == "inventory.stock-changed")
                    .order_by(t.outbox_event.c.seq)
                )
            )
            .scalars()
            .all()
        )

    assert [e for e in before if e.get("productVariantId") == str(world.variant)] == []
    sold = {
        (e["movement"]["referenceId"], e["locationId"], e["onHand"], e["movement"]["type"])
        for e in staged
    }
    assert sold == {
        (str(world.orders[0]), str(world.front), "-3", "SALE"),
        (str(world.orders[1]), str(world.back), "-1", "SALE"),
    }
    assert {e["productVariantId"] for e in staged} == {str(world.variant)}


async def test_a_payment_racing_the_catalogue_is_deducted_exactly_once(
    api: Api, world: World, sessions: Sessions
) -> None:
    outcomes = []
    for _ in range(8):
        racing = World(api, sessions, world.front, world.back)
        await asyncio.gather(racing.pay(), racing.cdc())
        await asyncio.gather(racing.pay(), racing.cdc())  # and their re-deliveries
        outcomes.append(await racing.outcome())

    for on_hand, ledger in outcomes:
        assert on_hand == {world.front: "-3", world.back: "-1"}
        assert len(ledger) == 2


@pytest.mark.parametrize("takeover", ["CDC", "/v1 PUT"])
async def test_sales_the_catalogue_says_were_tracked_leave_the_unmapped_sales(
    world: World, takeover: str
) -> None:
    await world.pay()
    option = await world.pay_with_modifier()
    # Until the catalogue speaks, they depleted nothing: 2 + 1 + 1 at the front on two
    # orders, and the option 1 x 2; 1 at the back.
    assert await world.unmapped() == {
        "front": [(None, "4", 2), (option, "2", 1)],
        "back": [(None, "1", 1)],
    }

    await (world.cdc() if takeover == "CDC" else world.put())
    await world.pay()  # a re-delivery after the takeover records nothing again

    # Deducted now: only the modifier option, which no recipe maps, is left.
    assert await world.unmapped() == {"front": [(option, "2", 1)], "back": []}
    on_hand, _ = await world.outcome()
    assert on_hand == {world.front: str(-3 - 1), world.back: "-1"}


async def test_sales_of_an_item_the_catalogue_says_is_untracked_stay_unmapped(
    world: World,
) -> None:
    await world.pay()

    await world.cdc(tracked=False)

    assert await world.unmapped() == {"front": [(None, "3", 1)], "back": [(None, "1", 1)]}


async def test_a_payment_racing_the_catalogue_leaves_no_unmapped_sale_behind(
    api: Api, world: World, sessions: Sessions
) -> None:
    for _ in range(8):
        racing = World(api, sessions, world.front, world.back)
        await asyncio.gather(racing.pay(), racing.cdc())

        assert await racing.unmapped() == {"front": [], "back": []}


@pytest.mark.parametrize(("stated", "deducted"), [(True, True), (False, False), (None, False)])
async def test_a_delete_settles_a_provisional_item_as_its_before_image_says(
    world: World, stated: bool | None, deducted: bool
) -> None:
    """The catalogue's last word: tracked deducts the recorded sales as a create would
    have; untracked, or unsaid, moves nothing. Either way the item is provisional no more,
    and a re-delivered payment or an older create changes nothing."""
    await world.pay()

    await world.delete(tracked=stated)
    await world.delete(tracked=stated)
    await world.pay()
    await world.cdc(tracked=not stated, lsn=24023128)  # older than the delete: stale

    on_hand, ledger = await world.outcome()
    assert await world.still_provisional() == (False, 0)
    if deducted:
        assert on_hand == {world.front: "-3", world.back: "-1"}
        assert sorted(ledger) == sorted(world.sales())
        assert await world.unmapped() == {"front": [], "back": []}
    else:
        assert (on_hand, ledger) == ({}, [])
        assert await world.unmapped() == {"front": [(None, "3", 1)], "back": [(None, "1", 1)]}


@pytest.mark.parametrize("takeover", ["CDC", "/v1 PUT"])
async def test_the_deducted_sales_are_dated_by_their_payments(world: World, takeover: str) -> None:
    await world.pay()

    await (world.cdc() if takeover == "CDC" else world.put())

    ledger = t.stock_movement
    of_orders = ledger.c.reference_id.in_([str(order) for order in world.orders])
    async with world.sessions() as session:
        sold_at = (
            (
                await session.execute(
                    select(ledger.c.sold_at).where(of_orders, ledger.c.type == "SALE")
                )
            )
            .scalars()
            .all()
        )
    # Written now, three hours after the payments: a usage report counts them when paid.
    assert sold_at == [world.paid_at, world.paid_at]
