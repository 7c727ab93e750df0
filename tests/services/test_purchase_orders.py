"""Purchase orders: creation with numbering and validation, cancellation, incoming stock."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.db import tables as t
from app.db.queries.incoming import incoming_by_key, incoming_by_stock_id
from app.domain.enums import ItemType, PurchaseOrderStatus
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.purchase_orders import (
    PurchaseOrderLineInput,
    cancel_purchase_order,
    create_purchase_order,
)
from app.services.stock_ledger import StockKey
from tests.services import purchasing_builders as given
from tests.services.purchasing_builders import Sessions


def _line(
    item_type: ItemType, item_id: uuid.UUID, quantity: str, cost: str = "1.5"
) -> PurchaseOrderLineInput:
    return PurchaseOrderLineInput(item_type, item_id, Decimal(quantity), Decimal(cost))


async def _order(
    sessions: Sessions,
    actor: Actor,
    *,
    number: str | None = None,
    location_id: uuid.UUID | None = None,
    lines: list[PurchaseOrderLineInput] | None = None,
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """An order (by default of 10 milk); returns (order id, location id, material id)."""
    location_id = location_id or await given.location(sessions, actor)
    material_id = await given.material(sessions, actor)
    result = await create_purchase_order(
        sessions,
        actor,
        location_id=location_id,
        vendor_id=await given.vendor(sessions, actor),
        currency="EUR",
        lines=[_line(ItemType.MATERIAL, material_id, "10")] if lines is None else lines,
        number=number,
    )
    return result.purchase_order_id, location_id, material_id


async def test_an_order_is_placed_with_numbered_lines(sessions: Sessions) -> None:
    actor = given.new_actor()
    location_id = await given.location(sessions, actor)
    vendor_id = await given.vendor(sessions, actor)
    milk = await given.material(sessions, actor)
    croissant = await given.inventory_item(sessions, actor)

    result = await create_purchase_order(
        sessions,
        actor,
        location_id=location_id,
        vendor_id=vendor_id,
        currency="EUR",
        lines=[
            _line(ItemType.MATERIAL, milk, "12.5", "0.8"),
            _line(ItemType.PRODUCT, croissant, "40", "0"),
        ],
    )

    async with sessions() as session:
        order = (await session.execute(select(t.purchase_order))).one()
        lines = (
            await session.execute(
                select(t.purchase_order_line).order_by(t.purchase_order_line.c.position)
            )
        ).all()
    assert order.id == result.purchase_order_id
    assert (order.number, order.status, order.currency) == (
        "PO-000001",
        PurchaseOrderStatus.ORDERED,
        "EUR",
    )
    assert order.created_by == "user:buyer"
    assert [
        (line.item_type, line.material_id, line.inventory_item_id, line.quantity_ordered)
        for line in lines
    ] == [
        (ItemType.MATERIAL, milk, None, Decimal("12.5")),
        (ItemType.PRODUCT, None, croissant, Decimal("40")),
    ]
    assert [line.quantity_received for line in lines] == [None, None]


async def test_numbers_count_up_per_merchant_and_skip_past_given_ones(sessions: Sessions) -> None:
    actor, other = given.new_actor(), given.new_actor()
    await _order(sessions, actor)
    await _order(sessions, actor, number="PO-000041")
    await _order(sessions, actor, number="Spring restock")

    await _order(sessions, actor)
    await _order(sessions, other)

    async with sessions() as session:
        numbers = (
            await session.execute(
                select(t.purchase_order.c.merchant_id, t.purchase_order.c.number).order_by(
                    t.purchase_order.c.id
                )
            )
        ).all()
    assert [n for m, n in numbers if m == actor.merchant_id] == [
        "PO-000001",
        "PO-000041",
        "Spring restock",
        "PO-000042",
    ]
    assert [n for m, n in numbers if m == other.merchant_id] == ["PO-000001"]


async def test_concurrent_creates_get_distinct_numbers(sessions: Sessions) -> None:
    actor = given.new_actor()
    location_id = await given.location(sessions, actor)
    vendor_id = await given.vendor(sessions, actor)
    milk = await given.material(sessions, actor)

    await asyncio.gather(
        *(
            create_purchase_order(
                sessions,
                actor,
                location_id=location_id,
                vendor_id=vendor_id,
                currency="EUR",
                lines=[_line(ItemType.MATERIAL, milk, "1")],
            )
            for _ in range(10)
        )
    )

    async with sessions() as session:
        numbers = (await session.execute(select(t.purchase_order.c.number))).scalars().all()
    assert sorted(numbers) == [f"PO-{n:06d}" for n in range(1, 11)]


async def test_a_number_already_used_is_duplicate(sessions: Sessions) -> None:
    actor = given.new_actor()
    await _order(sessions, actor, number="A-1")

    with pytest.raises(DomainError) as refused:
        await _order(sessions, actor, number=" A-1 ")

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.DUPLICATE, ("input", "number"))
    ]


async def test_every_problem_of_an_order_is_reported_at_once(sessions: Sessions) -> None:
    actor, other = given.new_actor(), given.new_actor()
    foreign_location = await given.location(sessions, other)
    archived_vendor = await given.vendor(sessions, actor, archived=True)
    foreign_material = await given.material(sessions, other)
    archived_item = await given.inventory_item(sessions, actor, archived=True)
    milk = await given.material(sessions, actor)

    with pytest.raises(DomainError) as refused:
        await create_purchase_order(
            sessions,
            actor,
            location_id=foreign_location,
            vendor_id=archived_vendor,
            currency="eur",
            lines=[
                _line(ItemType.MATERIAL, foreign_material, "1"),
                _line(ItemType.PRODUCT, archived_item, "1"),
                _line(ItemType.MATERIAL, milk, "0", "-1"),
                _line(ItemType.PRODUCT, milk, "1"),
            ],
        )

    assert sorted((p.code, p.field) for p in refused.value.problems) == sorted(
        [
            (UserErrorCode.INVALID, ("input", "currency")),
            (UserErrorCode.INVALID, ("input", "lines", 2, "quantityOrdered")),
            (UserErrorCode.INVALID, ("input", "lines", 2, "unitCost")),
            (UserErrorCode.NOT_FOUND, ("input", "locationId")),
            (UserErrorCode.ARCHIVED, ("input", "vendorId")),
            (UserErrorCode.NOT_FOUND, ("input", "lines", 0, "itemId")),
            (UserErrorCode.ARCHIVED, ("input", "lines", 1, "itemId")),
            # A material id given as a product is not a product of this merchant.
            (UserErrorCode.NOT_FOUND, ("input", "lines", 3, "itemId")),
        ]
    )
    async with sessions() as session:
        assert (await session.execute(select(t.purchase_order.c.id))).all() == []


async def test_an_order_needs_lines(sessions: Sessions) -> None:
    with pytest.raises(DomainError) as refused:
        await _order(sessions, given.new_actor(), lines=[])

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.REQUIRED, ("input", "lines"))
    ]


async def test_the_same_idempotency_key_places_one_order(sessions: Sessions) -> None:
    actor = given.new_actor()
    location_id = await given.location(sessions, actor)
    vendor_id = await given.vendor(sessions, actor)
    milk = await given.material(sessions, actor)

    async def place(quantity: str) -> uuid.UUID:
        result = await create_purchase_order(
            sessions,
            actor,
            location_id=location_id,
            vendor_id=vendor_id,
            currency="EUR",
            lines=[_line(ItemType.MATERIAL, milk, quantity)],
            idempotency_key="order-1",
        )
        return result.purchase_order_id

    first = await place("10")
    again = await place("10.0")
    with pytest.raises(DomainError) as mismatch:
        await place("11")

    async with sessions() as session:
        orders = (await session.execute(select(t.purchase_order.c.id))).scalars().all()
    assert again == first
    assert orders == [first]
    assert mismatch.value.codes == [UserErrorCode.IDEMPOTENCY_KEY_MISMATCH]


async def test_cancel_only_an_open_order(sessions: Sessions) -> None:
    actor = given.new_actor()
    order_id, _, _ = await _order(sessions, actor)

    await cancel_purchase_order(sessions, actor, order_id)
    with pytest.raises(DomainError) as again:
        await cancel_purchase_order(sessions, actor, order_id)

    async with sessions() as session:
        status = (await session.execute(select(t.purchase_order.c.status))).scalar_one()
    assert status is PurchaseOrderStatus.CANCELLED
    assert [(p.code, p.field) for p in again.value.problems] == [
        (UserErrorCode.INVALID_STATE, ("id",))
    ]


async def test_another_merchants_order_cannot_be_cancelled(sessions: Sessions) -> None:
    order_id, _, _ = await _order(sessions, given.new_actor())

    with pytest.raises(DomainError) as refused:
        await cancel_purchase_order(sessions, given.new_actor(), order_id)

    assert [(p.code, p.field) for p in refused.value.problems] == [
        (UserErrorCode.NOT_FOUND, ("id",))
    ]


async def test_incoming_sums_ordered_orders_not_drafts_and_drops_cancelled_ones(
    sessions: Sessions,
) -> None:
    actor, other = given.new_actor(), given.new_actor()
    order_id, location_id, milk = await _order(sessions, actor)
    second_id, _, _ = await _order(
        sessions,
        actor,
        location_id=location_id,
        lines=[_line(ItemType.MATERIAL, milk, "2.5"), _line(ItemType.MATERIAL, milk, "1")],
    )
    async with sessions.begin() as session:
        await session.execute(
            update(t.purchase_order)
            .where(t.purchase_order.c.id == second_id)
            .values(status=PurchaseOrderStatus.DRAFT)
        )
    await _order(sessions, other)
    key = StockKey.material(location_id, milk)
    elsewhere = StockKey.material(uuid.uuid4(), milk)
    await given.put_stock(sessions, actor, key, "3")
    async with sessions() as session:
        stock_id = (await session.execute(select(t.stock.c.id))).scalar_one()

    async with sessions() as session:
        open_by_key = await incoming_by_key(session, actor.merchant_id, [key, elsewhere])
        open_by_id = await incoming_by_stock_id(session, actor.merchant_id, [stock_id])
        foreign = await incoming_by_stock_id(session, other.merchant_id, [stock_id])
    await cancel_purchase_order(sessions, actor, order_id)
    await cancel_purchase_order(sessions, actor, second_id)
    async with sessions() as session:
        after_cancel = await incoming_by_key(session, actor.merchant_id, [key])

    # The draft's 2.5 + 1 is not incoming until submitted: the ordered 10 only.
    assert open_by_key == {key: Decimal("10"), elsewhere: Decimal(0)}
    assert open_by_id == {stock_id: Decimal("10")}
    assert foreign == {stock_id: Decimal(0)}
    assert after_cancel == {key: Decimal(0)}


async def test_two_first_orders_at_once_in_two_currencies_one_is_refused(
    sessions: Sessions,
) -> None:
    actor = given.new_actor()
    location_id = await given.location(sessions, actor)
    vendor_id = await given.vendor(sessions, actor)
    material_id = await given.material(sessions, actor)

    async def place(currency: str) -> object:
        try:
            return await create_purchase_order(
                sessions,
                actor,
                location_id=location_id,
                vendor_id=vendor_id,
                currency=currency,
                lines=[_line(ItemType.MATERIAL, material_id, "1")],
            )
        except DomainError as refused:
            return refused

    outcomes = await asyncio.gather(place("EUR"), place("USD"))

    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1
    assert [(p.code, p.field) for p in refused[0].problems] == [
        (UserErrorCode.INVALID, ("input", "currency"))
    ]
    async with sessions() as session:
        currencies = (await session.execute(select(t.purchase_order.c.currency))).scalars().all()
    assert len(currencies) == 1
