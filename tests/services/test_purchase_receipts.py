"""Receiving purchase orders: stock, ledger, cost, snapshot, payments and the finance event."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.db import tables as t
from app.db.queries.incoming import incoming_by_key
from app.domain.enums import ItemType, MovementType, PurchaseOrderStatus, ReferenceType
from app.domain.errors import DomainError, UserErrorCode
from app.kafka import topics
from app.services.context import Actor
from app.services.purchase_orders import (
    PurchaseOrderLineInput,
    cancel_purchase_order,
    create_purchase_order,
)
from app.services.purchase_receipts import PaymentInput, ReceiveLineInput, receive_purchase_order
from app.services.stock_ledger import StockKey
from tests.services import purchasing_builders as given
from tests.services.purchasing_builders import Sessions

PAID = [
    PaymentInput("BANK_TRANSFER", Decimal("20"), datetime(2026, 11, 20, 9, 30, tzinfo=UTC), "TX-1"),
    PaymentInput("CASH", Decimal("4.5")),
]


@dataclass
class Order:
    id: uuid.UUID
    location_id: uuid.UUID
    milk: uuid.UUID
    croissant: uuid.UUID
    line_ids: list[uuid.UUID]

    @property
    def milk_stock(self) -> StockKey:
        return StockKey.material(self.location_id, self.milk)

    @property
    def croissant_stock(self) -> StockKey:
        return StockKey.product(self.location_id, self.croissant)


async def _order(
    sessions: Sessions,
    actor: Actor,
    *,
    milk: uuid.UUID | None = None,
    location_id: uuid.UUID | None = None,
    milk_quantity: str = "10",
    milk_cost: str = "0.8",
) -> Order:
    """An order of milk and 12 croissants at 1.25."""
    location_id = location_id or await given.location(sessions, actor)
    milk = milk or await given.material(sessions, actor)
    croissant = await given.inventory_item(sessions, actor)
    result = await create_purchase_order(
        sessions,
        actor,
        location_id=location_id,
        vendor_id=await given.vendor(sessions, actor),
        currency="EUR",
        lines=[
            PurchaseOrderLineInput(
                ItemType.MATERIAL, milk, Decimal(milk_quantity), Decimal(milk_cost)
            ),
            PurchaseOrderLineInput(ItemType.PRODUCT, croissant, Decimal("12"), Decimal("1.25")),
        ],
    )
    async with sessions() as session:
        line_ids = (
            await session.execute(
                select(t.purchase_order_line.c.id)
                .where(t.purchase_order_line.c.purchase_order_id == result.purchase_order_id)
                .order_by(t.purchase_order_line.c.position)
            )
        ).scalars()
        ids = list(line_ids)
    return Order(result.purchase_order_id, location_id, milk, croissant, ids)


async def _average_cost(sessions: Sessions, material_id: uuid.UUID) -> Decimal | None:
    async with sessions() as session:
        return (
            await session.execute(
                select(t.material.c.average_unit_cost).where(t.material.c.id == material_id)
            )
        ).scalar_one()


async def test_receiving_everything_stocks_up_and_records_the_receipt(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)

    await receive_purchase_order(sessions, actor, order.id, payments=PAID)

    async with sessions() as session:
        po = (await session.execute(select(t.purchase_order))).one()
        lines = (
            await session.execute(
                select(t.purchase_order_line).order_by(t.purchase_order_line.c.position)
            )
        ).all()
        ledger = (await session.execute(select(t.stock_movement))).all()
        payments = (
            await session.execute(
                select(t.purchase_order_payment).order_by(t.purchase_order_payment.c.amount)
            )
        ).all()
    assert po.status is PurchaseOrderStatus.RECEIVED
    assert po.received_by == "user:buyer"
    assert po.received_at is not None
    assert po.vendor_snapshot == {
        "id": str(po.vendor_id),
        "name": "Dairy Co",
        "taxId": "DE123",
        "email": "orders@dairy.example",
        "phone": None,
        "address": None,
    }
    assert [line.quantity_received for line in lines] == [Decimal("10"), Decimal("12")]
    assert await given.on_hand(sessions, order.milk_stock) == Decimal("10")
    assert await given.on_hand(sessions, order.croissant_stock) == Decimal("12")
    assert sorted((m.type, m.reference_type, m.reference_id, m.delta_on_hand) for m in ledger) == [
        (MovementType.PURCHASE_RECEIPT, ReferenceType.POREC, str(order.id), Decimal("10")),
        (MovementType.PURCHASE_RECEIPT, ReferenceType.POREC, str(order.id), Decimal("12")),
    ]
    assert [(p.method, p.amount, p.reference) for p in payments] == [
        ("CASH", Decimal("4.5"), None),
        ("BANK_TRANSFER", Decimal("20"), "TX-1"),
    ]
    await given.assert_ledger_holds(sessions, actor)


async def test_a_receipt_with_payments_stages_one_valid_finance_event(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)

    await receive_purchase_order(sessions, actor, order.id, payments=PAID)

    [row] = await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED)
    payload = row.payload
    given.assert_valid("purchase-order.received", payload)
    assert (row.key, row.event_type) == (str(order.id), "PURCHASE_ORDER_RECEIVED")
    assert payload["purchaseOrderNumber"] == "PO-000001"
    assert payload["receivedBy"] == "user:buyer"
    assert [
        (line["itemType"], line["quantityReceived"], line["unitCost"], line["lineTotal"])
        for line in payload["lines"]
    ] == [("MATERIAL", "10", "0.8", "8"), ("PRODUCT", "12", "1.25", "15")]
    assert payload["lines"][0]["materialId"] == str(order.milk)
    assert (payload["subtotal"], payload["totalPaid"], payload["currency"]) == ("23", "24.5", "EUR")
    assert [(p["method"], p["amount"], p["paidAt"]) for p in payload["payments"]] == [
        ("BANK_TRANSFER", "20", "2026-11-20T09:30:00Z"),
        ("CASH", "4.5", None),
    ]
    for topic, schema in (
        (topics.INVENTORY_STOCK_CHANGED, "inventory.stock-changed"),
        (topics.MATERIAL_STOCK_CHANGED, "material.stock-changed"),
    ):
        rows = await given.outbox(sessions, topic)
        assert len(rows) == (2 if topic == topics.INVENTORY_STOCK_CHANGED else 1)
        for stock_row in rows:
            given.assert_valid(schema, stock_row.payload)


async def test_a_receipt_without_payments_stages_no_finance_event(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)

    await receive_purchase_order(sessions, actor, order.id)

    assert await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED) == []
    stock_events = await given.outbox(sessions, topics.INVENTORY_STOCK_CHANGED)
    assert len(stock_events) == 2
    for row in stock_events:
        given.assert_valid("inventory.stock-changed", row.payload)
    [material_event] = await given.outbox(sessions, topics.MATERIAL_STOCK_CHANGED)
    given.assert_valid("material.stock-changed", material_event.payload)


async def test_listed_lines_set_quantity_and_cost_and_unlisted_ones_receive_nothing(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)
    milk_line = order.line_ids[0]

    await receive_purchase_order(
        sessions,
        actor,
        order.id,
        lines=[ReceiveLineInput(milk_line, Decimal("7.5"), Decimal("0.9"))],
        payments=[PaymentInput("CASH", Decimal("6.75"))],
    )

    [row] = await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED)
    given.assert_valid("purchase-order.received", row.payload)
    assert [
        (line["quantityOrdered"], line["quantityReceived"], line["unitCost"], line["lineTotal"])
        for line in row.payload["lines"]
    ] == [("10", "7.5", "0.9", "6.75"), ("12", "0", "1.25", "0")]
    assert row.payload["subtotal"] == "6.75"
    assert await given.on_hand(sessions, order.milk_stock) == Decimal("7.5")
    assert await given.on_hand(sessions, order.croissant_stock) == Decimal(0)
    assert await _average_cost(sessions, order.milk) == Decimal("0.9")


async def test_moving_average_cost_over_two_receipts(sessions: Sessions) -> None:
    actor = given.new_actor()
    first = await _order(sessions, actor, milk_quantity="100", milk_cost="2")
    second = await _order(
        sessions,
        actor,
        milk=first.milk,
        location_id=await given.location(sessions, actor, "Kitchen"),
        milk_quantity="50",
        milk_cost="5",
    )
    third = await _order(
        sessions,
        actor,
        milk=first.milk,
        location_id=first.location_id,
        milk_quantity="30",
        milk_cost="1",
    )

    await receive_purchase_order(sessions, actor, first.id)
    after_first = await _average_cost(sessions, first.milk)
    await receive_purchase_order(sessions, actor, second.id)
    after_second = await _average_cost(sessions, first.milk)
    await receive_purchase_order(sessions, actor, third.id)

    assert after_first == Decimal("2")
    # On hand of every location counts: (100 * 2 + 50 * 5) / 150.
    assert after_second == Decimal("3")
    # (150 * 3 + 30 * 1) / 180 = 2.6666…, to 12 places (a cost per base unit keeps at
    # least 10, units-and-prep.graphql).
    assert await _average_cost(sessions, first.milk) == Decimal("2.666666666667")


async def test_with_nothing_on_hand_the_average_restarts_at_the_receipt_cost(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    milk = await given.material(sessions, actor, average_unit_cost=Decimal("9"))
    order = await _order(sessions, actor, milk=milk, milk_quantity="10", milk_cost="2")
    await given.put_stock(sessions, actor, order.milk_stock, "-4")

    await receive_purchase_order(sessions, actor, order.id)

    assert await _average_cost(sessions, milk) == Decimal("2")
    assert await given.on_hand(sessions, order.milk_stock) == Decimal("6")


async def test_receiving_twice_or_a_cancelled_order_is_invalid_state(sessions: Sessions) -> None:
    actor = given.new_actor()
    received = await _order(sessions, actor)
    cancelled = await _order(sessions, actor)
    await receive_purchase_order(sessions, actor, received.id, payments=PAID)
    await cancel_purchase_order(sessions, actor, cancelled.id)

    with pytest.raises(DomainError) as twice:
        await receive_purchase_order(sessions, actor, received.id, payments=PAID)
    with pytest.raises(DomainError) as after_cancel:
        await receive_purchase_order(sessions, actor, cancelled.id)

    for refused in (twice, after_cancel):
        assert [(p.code, p.field) for p in refused.value.problems] == [
            (UserErrorCode.INVALID_STATE, ("id",))
        ]
    assert await given.on_hand(sessions, received.milk_stock) == Decimal("10")
    assert len(await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED)) == 1


async def test_of_two_concurrent_receipts_exactly_one_succeeds(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)

    outcomes = await asyncio.gather(
        *(receive_purchase_order(sessions, actor, order.id, payments=PAID) for _ in range(2)),
        return_exceptions=True,
    )

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], DomainError)
    assert failures[0].codes == [UserErrorCode.INVALID_STATE]
    assert await given.on_hand(sessions, order.milk_stock) == Decimal("10")
    assert len(await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED)) == 1
    async with sessions() as session:
        payments = (await session.execute(select(t.purchase_order_payment.c.id))).all()
    assert len(payments) == 2
    await given.assert_ledger_holds(sessions, actor)


async def test_the_same_idempotency_key_returns_the_first_receipt(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)

    first = await receive_purchase_order(
        sessions, actor, order.id, payments=PAID, idempotency_key="rcv-1"
    )
    again = await receive_purchase_order(
        sessions, actor, order.id, payments=PAID, idempotency_key="rcv-1"
    )
    with pytest.raises(DomainError) as other_input:
        await receive_purchase_order(sessions, actor, order.id, idempotency_key="rcv-1")

    assert again == first
    assert other_input.value.codes == [UserErrorCode.IDEMPOTENCY_KEY_MISMATCH]
    assert await given.on_hand(sessions, order.milk_stock) == Decimal("10")
    assert len(await given.outbox(sessions, topics.PURCHASE_ORDER_RECEIVED)) == 1
    async with sessions() as session:
        payments = (await session.execute(select(t.purchase_order_payment.c.id))).all()
    assert len(payments) == 2


async def test_every_problem_of_a_receipt_is_reported_at_once(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)
    milk_line = order.line_ids[0]

    with pytest.raises(DomainError) as refused:
        await receive_purchase_order(
            sessions,
            actor,
            order.id,
            lines=[
                ReceiveLineInput(uuid.uuid4(), Decimal("1")),
                ReceiveLineInput(milk_line, Decimal("-1"), Decimal("-2")),
                ReceiveLineInput(milk_line, Decimal("1")),
            ],
            payments=[
                PaymentInput(" ", Decimal("0")),
                PaymentInput("CASH", Decimal("1"), datetime(2026, 1, 1)),
            ],
        )

    assert sorted((p.code, p.field) for p in refused.value.problems) == sorted(
        [
            (UserErrorCode.REQUIRED, ("input", "payments", 0, "method")),
            (UserErrorCode.INVALID, ("input", "payments", 0, "amount")),
            (UserErrorCode.INVALID, ("input", "payments", 1, "paidAt")),
            (UserErrorCode.NOT_FOUND, ("input", "lines", 0, "lineId")),
            (UserErrorCode.INVALID, ("input", "lines", 1, "quantityReceived")),
            (UserErrorCode.INVALID, ("input", "lines", 1, "unitCost")),
            (UserErrorCode.INVALID, ("input", "lines", 2, "lineId")),
        ]
    )
    async with sessions() as session:
        status = (await session.execute(select(t.purchase_order.c.status))).scalar_one()
    assert status is PurchaseOrderStatus.ORDERED


async def test_another_merchants_order_is_not_found(sessions: Sessions) -> None:
    order = await _order(sessions, given.new_actor())

    with pytest.raises(DomainError) as refused:
        await receive_purchase_order(sessions, given.new_actor(), order.id)

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.NOT_FOUND, ("id",))
    ]


async def test_two_lines_of_one_material_make_one_ledger_row_and_one_average(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    location_id = await given.location(sessions, actor)
    milk = await given.material(sessions, actor)
    result = await create_purchase_order(
        sessions,
        actor,
        location_id=location_id,
        vendor_id=await given.vendor(sessions, actor),
        currency="EUR",
        lines=[
            PurchaseOrderLineInput(ItemType.MATERIAL, milk, Decimal("3"), Decimal("1")),
            PurchaseOrderLineInput(ItemType.MATERIAL, milk, Decimal("1"), Decimal("3")),
        ],
    )

    await receive_purchase_order(sessions, actor, result.purchase_order_id)

    async with sessions() as session:
        deltas = (await session.execute(select(t.stock_movement.c.delta_on_hand))).scalars()
        assert list(deltas) == [Decimal("4")]
    assert await _average_cost(sessions, milk) == Decimal("1.5")
    await given.assert_ledger_holds(sessions, actor)


async def test_nothing_is_incoming_once_received(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)
    async with sessions() as session:
        before = await incoming_by_key(session, actor.merchant_id, [order.milk_stock])

    await receive_purchase_order(sessions, actor, order.id)

    async with sessions() as session:
        after = await incoming_by_key(
            session, actor.merchant_id, [order.milk_stock, order.croissant_stock]
        )
    assert before == {order.milk_stock: Decimal("10")}
    assert after == {order.milk_stock: Decimal(0), order.croissant_stock: Decimal(0)}


async def test_a_draft_order_is_received_only_once_submitted(sessions: Sessions) -> None:
    actor = given.new_actor()
    order = await _order(sessions, actor)
    async with sessions.begin() as session:
        await session.execute(update(t.purchase_order).values(status=PurchaseOrderStatus.DRAFT))

    with pytest.raises(DomainError) as refused:
        await receive_purchase_order(sessions, actor, order.id)

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.INVALID_STATE, ("id",))
    ]
    assert await given.on_hand(sessions, order.croissant_stock) == Decimal(0)
