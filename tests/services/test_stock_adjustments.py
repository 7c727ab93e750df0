"""Manual stock writes: adjust, count, waste, thresholds; their rules, errors and events."""

import json
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import InventoryItem, Location, Material
from app.db.queries.ledger import check_ledger
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.errors import DomainError, UserErrorCode
from app.services.context import Actor
from app.services.stock_adjustments import (
    adjust_stock,
    count_stock,
    record_waste,
    set_low_stock_threshold,
)
from app.services.stock_refs import StockRef

MERCHANT = uuid.uuid4()
OTHER = uuid.uuid4()
ACTOR = Actor(MERCHANT, "user:ana")
EVENTS = Path(__file__).parents[2] / "contracts" / "events"


async def _catalog(
    sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID = MERCHANT
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """A location, a material (g) and an inventory item of `merchant`."""
    async with sessions.begin() as session:
        location = Location(merchant_id=merchant, name="Main", is_default=True)
        material = Material(merchant_id=merchant, name="Milk", unit="ml")
        item = InventoryItem(
            merchant_id=merchant,
            product_variant_id=uuid.uuid4(),
            name="Latte",
            track_inventory=True,
        )
        session.add_all([location, material, item])
    return location.id, material.id, item.id


def _milk(location_id: uuid.UUID, material_id: uuid.UUID) -> StockRef:
    return StockRef(location_id=location_id, item_type=ItemType.MATERIAL, item_id=material_id)


async def _stock(sessions: async_sessionmaker[AsyncSession], stock_id: uuid.UUID) -> Row[Any]:
    async with sessions() as session:
        return (await session.execute(select(t.stock).where(t.stock.c.id == stock_id))).one()


async def _movements(sessions: async_sessionmaker[AsyncSession]) -> list[Row[Any]]:
    async with sessions() as session:
        return list(
            (await session.execute(select(t.stock_movement).order_by(t.stock_movement.c.id))).all()
        )


def _problems(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[UserErrorCode, tuple]]:
    return [(p.code, p.field) for p in error.value.problems]


async def test_adjust_adds_the_delta_and_records_a_manual_adjustment(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)

    result = await adjust_stock(
        sessions, ACTOR, ref=_milk(location, material), delta=Decimal("750.5"), reason=" restock "
    )

    stock = await _stock(sessions, result.stock_id)
    [movement] = await _movements(sessions)
    assert (stock.on_hand, stock.version, stock.material_id) == (Decimal("750.5"), 1, material)
    assert movement.id == result.movement_id
    assert (movement.type, movement.reference_type) == (
        MovementType.ADJUSTMENT,
        ReferenceType.MANUAL,
    )
    assert uuid.UUID(movement.reference_id)  # a fresh reference per adjustment without a key
    assert (movement.delta_on_hand, movement.reason, movement.actor) == (
        Decimal("750.5"),
        "restock",
        "user:ana",
    )


async def test_every_manual_movement_stages_events_that_match_the_contract(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, item = await _catalog(sessions)
    milk = _milk(location, material)
    latte = StockRef(location_id=location, item_type=ItemType.PRODUCT, item_id=item)

    await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(10), reason="restock")
    await count_stock(sessions, ACTOR, ref=milk, counted_quantity=Decimal(8))
    await record_waste(sessions, ACTOR, ref=milk, quantity=Decimal("0.5"), reason="spilt")
    await adjust_stock(sessions, ACTOR, ref=latte, delta=Decimal(3), reason="found")

    async with sessions() as session:
        rows = (await session.execute(select(t.outbox_event).order_by(t.outbox_event.c.seq))).all()
    for row in rows:
        schema = json.loads((EVENTS / f"{row.topic}.schema.json").read_text())
        jsonschema.validate(row.payload, schema)
    assert [(r.topic, r.payload["movement"]["type"], r.payload["onHand"]) for r in rows] == [
        ("inventory.stock-changed", "ADJUSTMENT", "10"),
        ("material.stock-changed", "ADJUSTMENT", "10"),
        ("inventory.stock-changed", "COUNT", "8"),
        ("material.stock-changed", "COUNT", "8"),
        ("inventory.stock-changed", "WASTE", "7.5"),
        ("material.stock-changed", "WASTE", "7.5"),
        ("inventory.stock-changed", "ADJUSTMENT", "3"),
    ]
    async with sessions() as session:
        check = await check_ledger(session, merchant_id=MERCHANT)
    assert (check.stocks_checked, check.discrepancies) == (2, [])


async def test_a_stock_id_and_its_location_and_item_name_the_same_stock(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    first = await adjust_stock(
        sessions, ACTOR, ref=_milk(location, material), delta=Decimal(5), reason="restock"
    )

    second = await adjust_stock(
        sessions, ACTOR, ref=StockRef(stock_id=first.stock_id), delta=Decimal(2), reason="restock"
    )

    assert second.stock_id == first.stock_id
    assert (await _stock(sessions, first.stock_id)).on_hand == Decimal(7)


async def test_adjust_refuses_to_take_on_hand_below_zero_unless_allowed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    milk = _milk(location, material)
    made = await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(3), reason="restock")

    with pytest.raises(DomainError) as refused:
        await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal("-3.01"), reason="fix")
    allowed = await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal(-5), reason="fix", allow_negative=True
    )
    raised = await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(1), reason="found")

    assert _problems(refused) == [(UserErrorCode.INSUFFICIENT_STOCK, ("input", "delta"))]
    movements = await _movements(sessions)
    assert [m.id for m in movements] == [made.movement_id, allowed.movement_id, raised.movement_id]
    assert [m.went_negative for m in movements] == [False, True, True]
    assert (await _stock(sessions, made.stock_id)).on_hand == Decimal(-1)


async def test_a_stale_change_from_quantity_is_refused_and_a_fresh_one_applies(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    milk = _milk(location, material)
    made = await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(5), reason="restock")

    with pytest.raises(DomainError) as stale:
        await adjust_stock(
            sessions, ACTOR, ref=milk, delta=Decimal(1), reason="x", change_from_quantity=Decimal(4)
        )
    await adjust_stock(
        sessions, ACTOR, ref=milk, delta=Decimal(1), reason="x", change_from_quantity=Decimal("5.0")
    )

    assert _problems(stale) == [
        (UserErrorCode.CHANGE_FROM_QUANTITY_STALE, ("input", "changeFromQuantity"))
    ]
    assert (await _stock(sessions, made.stock_id)).on_hand == Decimal(6)


async def test_all_problems_of_one_request_are_reported_together(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _catalog(sessions)

    with pytest.raises(DomainError) as refused:
        await adjust_stock(
            sessions,
            ACTOR,
            ref=StockRef(location_id=uuid.uuid4(), item_type=ItemType.MATERIAL),
            delta=Decimal(0),
            reason="  ",
            change_from_quantity=Decimal("1.0000001"),
        )

    assert _problems(refused) == [
        (UserErrorCode.REQUIRED, ("input", "reason")),
        (UserErrorCode.INVALID, ("input", "delta")),
        (UserErrorCode.INVALID, ("input", "changeFromQuantity")),
        (UserErrorCode.REQUIRED, ("input", "stock", "itemId")),
        (UserErrorCode.NOT_FOUND, ("input", "stock", "locationId")),
    ]
    assert await _movements(sessions) == []


async def test_another_merchants_stock_location_and_item_are_not_found(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    theirs_location, theirs_material, theirs_item = await _catalog(sessions, OTHER)
    theirs = await adjust_stock(
        sessions,
        Actor(OTHER),
        ref=_milk(theirs_location, theirs_material),
        delta=Decimal(1),
        reason="restock",
    )
    attempts = [
        (StockRef(stock_id=theirs.stock_id), ["stockId"]),
        (_milk(theirs_location, material), ["locationId"]),
        (_milk(location, theirs_material), ["itemId"]),
        (
            StockRef(location_id=location, item_type=ItemType.PRODUCT, item_id=theirs_item),
            ["itemId"],
        ),
        # A material id is not an inventory item id, even of the same merchant.
        (StockRef(location_id=location, item_type=ItemType.PRODUCT, item_id=material), ["itemId"]),
    ]

    for ref, fields in attempts:
        with pytest.raises(DomainError) as refused:
            await record_waste(sessions, ACTOR, ref=ref, quantity=Decimal(1), reason="x")
        assert _problems(refused) == [
            (UserErrorCode.NOT_FOUND, ("input", "stock", f)) for f in fields
        ]
        with pytest.raises(DomainError) as refused:
            await set_low_stock_threshold(sessions, ACTOR, ref=ref, threshold=Decimal(1))
        assert refused.value.codes == [UserErrorCode.NOT_FOUND]
    assert len(await _movements(sessions)) == 1


async def test_archived_locations_and_items_take_no_writes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    made = await adjust_stock(
        sessions, ACTOR, ref=_milk(location, material), delta=Decimal(1), reason="restock"
    )
    async with sessions.begin() as session:
        await session.execute(t.material.update().values(archived=True))

    with pytest.raises(DomainError) as by_id:
        await count_stock(
            sessions, ACTOR, ref=StockRef(stock_id=made.stock_id), counted_quantity=Decimal(0)
        )
    with pytest.raises(DomainError) as by_parts:
        await count_stock(
            sessions, ACTOR, ref=_milk(location, material), counted_quantity=Decimal(0)
        )

    assert _problems(by_id) == [(UserErrorCode.ARCHIVED, ("input", "stock", "stockId"))]
    assert _problems(by_parts) == [(UserErrorCode.ARCHIVED, ("input", "stock", "itemId"))]


async def test_a_ref_with_both_forms_is_invalid(sessions: async_sessionmaker[AsyncSession]) -> None:
    location, material, _ = await _catalog(sessions)

    with pytest.raises(DomainError) as refused:
        await count_stock(
            sessions,
            ACTOR,
            ref=StockRef(stock_id=uuid.uuid4(), location_id=location, item_id=material),
            counted_quantity=Decimal(1),
        )

    assert _problems(refused) == [(UserErrorCode.INVALID, ("input", "stock", "stockId"))]


async def test_a_count_sets_on_hand_and_records_the_difference(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    milk = _milk(location, material)
    await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(10), reason="restock")

    lower = await count_stock(sessions, ACTOR, ref=milk, counted_quantity=Decimal("7.25"))
    same = await count_stock(
        sessions, ACTOR, ref=milk, counted_quantity=Decimal("7.250"), reason="recount"
    )
    with pytest.raises(DomainError) as negative:
        await count_stock(sessions, ACTOR, ref=milk, counted_quantity=Decimal(-1))

    movements = await _movements(sessions)
    assert [(m.type, m.delta_on_hand, m.on_hand_after) for m in movements[1:]] == [
        (MovementType.COUNT, Decimal("-2.75"), Decimal("7.25")),
        (MovementType.COUNT, Decimal(0), Decimal("7.25")),
    ]
    assert [m.id for m in movements[1:]] == [lower.movement_id, same.movement_id]
    assert movements[2].reason == "recount"
    assert _problems(negative) == [(UserErrorCode.INVALID, ("input", "countedQuantity"))]


async def test_waste_takes_stock_off_and_refuses_more_than_on_hand(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    milk = _milk(location, material)
    made = await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(2), reason="restock")

    wasted = await record_waste(sessions, ACTOR, ref=milk, quantity=Decimal("1.5"), reason="spilt")
    with pytest.raises(DomainError) as too_much:
        await record_waste(sessions, ACTOR, ref=milk, quantity=Decimal("0.6"), reason="spilt")
    with pytest.raises(DomainError) as invalid:
        await record_waste(sessions, ACTOR, ref=milk, quantity=Decimal(0), reason="")

    [_, movement] = await _movements(sessions)
    assert (movement.id, movement.type, movement.delta_on_hand) == (
        wasted.movement_id,
        MovementType.WASTE,
        Decimal("-1.5"),
    )
    assert (await _stock(sessions, made.stock_id)).on_hand == Decimal("0.5")
    assert _problems(too_much) == [(UserErrorCode.INSUFFICIENT_STOCK, ("input", "quantity"))]
    assert _problems(invalid) == [
        (UserErrorCode.REQUIRED, ("input", "reason")),
        (UserErrorCode.INVALID, ("input", "quantity")),
    ]


async def test_a_threshold_creates_the_stock_without_a_movement_and_can_be_cleared(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    location, material, _ = await _catalog(sessions)
    milk = _milk(location, material)

    made = await set_low_stock_threshold(sessions, ACTOR, ref=milk, threshold=Decimal(100))
    await adjust_stock(sessions, ACTOR, ref=milk, delta=Decimal(80), reason="restock")
    set_stock = await _stock(sessions, made.stock_id)
    await set_low_stock_threshold(sessions, ACTOR, ref=milk, threshold=None)
    with pytest.raises(DomainError) as negative:
        await set_low_stock_threshold(sessions, ACTOR, ref=milk, threshold=Decimal(-1))

    async with sessions() as session:
        payload = (await session.execute(select(t.outbox_event.c.payload))).scalars().first()
    cleared = await _stock(sessions, made.stock_id)
    assert made.movement_id is None
    assert (set_stock.low_stock_threshold, set_stock.version) == (Decimal(100), 1)
    assert payload is not None
    assert (payload["lowStock"], payload["lowStockThreshold"]) == (True, "100")
    assert (cleared.low_stock_threshold, cleared.version) == (None, 1)
    assert _problems(negative) == [(UserErrorCode.INVALID, ("input", "lowStockThreshold"))]
    async with sessions() as session:
        assert (await check_ledger(session, merchant_id=MERCHANT)).discrepancies == []
