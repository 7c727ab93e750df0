"""What a kitchen status does to what its sale reserved: app.domain.kitchen, no database."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.enums import KitchenEffect, KitchenStatus, MovementType, ReferenceType
from app.domain.kitchen import RecordedEffect, effect_moves, terminal_effect
from app.domain.moves import StockKey
from app.domain.sale_snapshot import ItemSnapshot

LOCATION = uuid.uuid4()
BEANS, MILK = StockKey.material(LOCATION, uuid.uuid4()), StockKey.material(LOCATION, uuid.uuid4())


@pytest.mark.parametrize(
    ("status", "previous", "effect"),
    [
        (KitchenStatus.PENDING, None, None),
        (KitchenStatus.PREPARING, KitchenStatus.PENDING, None),
        (KitchenStatus.READY, None, KitchenEffect.CONSUMED),
        (KitchenStatus.SERVED, KitchenStatus.READY, KitchenEffect.CONSUMED),
        (KitchenStatus.CANCELLED, None, KitchenEffect.RELEASED),
        (KitchenStatus.CANCELLED, KitchenStatus.PREPARING, KitchenEffect.RELEASED),
        # After a consumption, a cancellation stands for that consumption.
        (KitchenStatus.CANCELLED, KitchenStatus.READY, KitchenEffect.CONSUMED),
        (KitchenStatus.CANCELLED, KitchenStatus.SERVED, KitchenEffect.CONSUMED),
    ],
)
def test_each_status_stands_for_one_effect_or_none(
    status: KitchenStatus, previous: KitchenStatus | None, effect: KitchenEffect | None
) -> None:
    assert terminal_effect(status, previous) is effect


def a_latte_sold(quantity: str) -> ItemSnapshot:
    item = ItemSnapshot(uuid.uuid4(), uuid.uuid4(), Decimal(quantity))
    item.per_unit = {BEANS: Decimal("18"), MILK: Decimal("200")}
    return item


def test_consuming_lowers_on_hand_and_reserved_by_the_tickets_share() -> None:
    item = a_latte_sold("3")
    ticket = uuid.uuid4()

    moves = effect_moves(
        item, RecordedEffect(ticket, item.sale_order_item_id, Decimal(2), KitchenEffect.CONSUMED)
    )

    assert [(m.key, m.type, m.delta_on_hand, m.delta_reserved) for m in moves] == sorted(
        [
            (BEANS, MovementType.KITCHEN_CONSUMPTION, Decimal(-36), Decimal(-36)),
            (MILK, MovementType.KITCHEN_CONSUMPTION, Decimal(-400), Decimal(-400)),
        ]
    )
    assert {(m.reference_type, m.reference_id) for m in moves} == {
        (ReferenceType.KITCHEN_TICKET_ITEM, str(ticket))
    }


def test_releasing_lowers_reserved_only() -> None:
    item = a_latte_sold("1")

    moves = effect_moves(
        item,
        RecordedEffect(uuid.uuid4(), item.sale_order_item_id, Decimal(1), KitchenEffect.RELEASED),
    )

    assert {m.key: (m.delta_on_hand, m.delta_reserved) for m in moves} == {
        BEANS: (Decimal(0), Decimal(-18)),
        MILK: (Decimal(0), Decimal(-200)),
    }
    assert {m.type for m in moves} == {MovementType.KITCHEN_RELEASE}


def test_a_ticket_never_settles_more_units_than_were_sold() -> None:
    item = a_latte_sold("1")

    moves = effect_moves(
        item,
        RecordedEffect(uuid.uuid4(), item.sale_order_item_id, Decimal(5), KitchenEffect.CONSUMED),
    )

    assert {m.key: m.delta_on_hand for m in moves} == {BEANS: Decimal(-18), MILK: Decimal(-200)}


def test_a_release_carries_its_sale_payment_time_and_a_consumption_none() -> None:
    item, paid = a_latte_sold("2"), datetime(2026, 1, 1, 23, 59, tzinfo=UTC)

    released = effect_moves(
        item,
        RecordedEffect(uuid.uuid4(), item.sale_order_item_id, Decimal(1), KitchenEffect.RELEASED),
        paid,
    )
    consumed = effect_moves(
        item,
        RecordedEffect(uuid.uuid4(), item.sale_order_item_id, Decimal(1), KitchenEffect.CONSUMED),
        paid,
    )

    assert {m.sold_at for m in released} == {paid}
    assert {m.sold_at for m in consumed} == {None}
