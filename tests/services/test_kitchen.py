"""apply_kitchen_status after the payment: consume, release, nothing, once; the snapshot rules."""

import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db import tables as t
from app.domain.enums import KitchenEffect, KitchenStatus, MovementType, RecipeOwner
from app.domain.errors import DomainError, UserErrorCode
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.sales import apply_kitchen_status, apply_payment
from tests.services.sales_builders import (
    Sessions,
    Shop,
    a_material,
    a_payment,
    a_shop,
    an_item,
    assert_ledger_holds,
    kitchen_event,
    ledger_checked,  # noqa: F401 (the fixture below)
    movements,
    quantities,
    set_recipe,
    sold,
)

pytestmark = pytest.mark.usefixtures("ledger_checked")

PV = RecipeOwner.PRODUCT_VARIANT
MOD = RecipeOwner.MODIFIER_OPTION
S = KitchenStatus


async def _paid_latte(
    sessions: Sessions, quantity: str = "2"
) -> tuple[Shop, uuid.UUID, PaymentSucceeded, SaleItem]:
    """A shop with milk 1000 ml; a latte (200 ml each) sold `quantity` times."""
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    _, latte = await an_item(sessions, shop, tracked=False)
    await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    item = sold(latte, quantity)
    payment = a_payment(shop, [item])
    await apply_payment(sessions, payment)
    return shop, milk, payment, item


async def test_served_consumes_on_hand_and_reserved_together(sessions: Sessions) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)

    outcome = await apply_kitchen_status(
        sessions, kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4())
    )

    assert (outcome.effect, outcome.movements_applied) == (KitchenEffect.CONSUMED, 1)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)
    assert (await movements(sessions, shop.material(milk)))[-1] == (
        MovementType.KITCHEN_CONSUMPTION,
        Decimal(-400),
        Decimal(-400),
    )
    await assert_ledger_holds(sessions)


async def test_cancelled_before_consumption_releases_the_reservation(sessions: Sessions) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)

    outcome = await apply_kitchen_status(
        sessions,
        kitchen_event(shop, payment, item, S.CANCELLED, kitchen_ticket_item_id=uuid.uuid4()),
    )

    assert outcome.effect is KitchenEffect.RELEASED
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), 0)
    assert (await movements(sessions, shop.material(milk)))[-1] == (
        MovementType.KITCHEN_RELEASE,
        0,
        Decimal(-400),
    )
    await assert_ledger_holds(sessions)


async def test_pending_and_preparing_change_nothing(sessions: Sessions) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)
    ticket_item = uuid.uuid4()

    outcomes = [
        await apply_kitchen_status(
            sessions, kitchen_event(shop, payment, item, status, kitchen_ticket_item_id=ticket_item)
        )
        for status in (S.PENDING, S.PREPARING)
    ]

    async with sessions() as session:
        effects = (await session.execute(select(t.kitchen_ticket_effect))).all()
    assert [o.effect for o in outcomes] == [None, None]
    assert effects == []
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), Decimal(400))


async def test_cancelled_after_served_changes_nothing(sessions: Sessions) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)
    ticket_item = uuid.uuid4()
    await apply_kitchen_status(
        sessions, kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=ticket_item)
    )

    outcome = await apply_kitchen_status(
        sessions,
        kitchen_event(
            shop,
            payment,
            item,
            S.CANCELLED,
            kitchen_ticket_item_id=ticket_item,
            previous_status=S.SERVED,
        ),
    )

    assert (outcome.duplicate, outcome.movements_applied) == (True, 0)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)


async def test_served_twice_and_ready_then_served_consume_once(sessions: Sessions) -> None:
    shop, milk, payment, item = await _paid_latte(sessions, "4")
    first, second = uuid.uuid4(), uuid.uuid4()
    events = [
        kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=first, quantity="1"),
        kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=first, quantity="1"),
        kitchen_event(shop, payment, item, S.READY, kitchen_ticket_item_id=second, quantity="1"),
        kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=second, quantity="1"),
    ]

    outcomes = [await apply_kitchen_status(sessions, e) for e in events]

    assert [o.movements_applied for o in outcomes] == [1, 0, 1, 0]
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), Decimal(400))
    await assert_ledger_holds(sessions)


async def test_cancelled_whose_previous_status_was_ready_stands_for_the_consumption(
    sessions: Sessions,
) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)
    ticket_item = uuid.uuid4()

    cancelled = await apply_kitchen_status(
        sessions,
        kitchen_event(
            shop,
            payment,
            item,
            S.CANCELLED,
            kitchen_ticket_item_id=ticket_item,
            previous_status=S.READY,
        ),
    )
    ready = await apply_kitchen_status(
        sessions, kitchen_event(shop, payment, item, S.READY, kitchen_ticket_item_id=ticket_item)
    )

    assert (cancelled.effect, ready.duplicate) == (KitchenEffect.CONSUMED, True)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)


async def test_kitchen_quantity_above_the_sold_quantity_consumes_only_what_was_sold(
    sessions: Sessions,
) -> None:
    shop, milk, payment, item = await _paid_latte(sessions, "1")

    await apply_kitchen_status(
        sessions,
        kitchen_event(
            shop, payment, item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4(), quantity="3"
        ),
    )

    assert await quantities(sessions, shop.material(milk)) == (Decimal(800), 0)


async def test_recipe_changed_between_payment_and_kitchen_uses_the_snapshot(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    syrup = await a_material(sessions, shop, "500", unit="ml")
    espresso = await a_material(sessions, shop, "50", unit="pcs")
    _, latte = await an_item(sessions, shop, tracked=False)
    vanilla = uuid.uuid4()
    await set_recipe(sessions, shop, PV, latte, {milk: "200", espresso: "1"})
    await set_recipe(sessions, shop, MOD, vanilla, {syrup: "15"})
    served_item, cancelled_item = sold(latte, "2", {vanilla: "1"}), sold(latte, "1", {vanilla: "2"})
    payment = a_payment(shop, [served_item, cancelled_item])
    await apply_payment(sessions, payment)
    await set_recipe(sessions, shop, PV, latte, {milk: "300"})
    await set_recipe(sessions, shop, MOD, vanilla, {syrup: "40", milk: "10"})

    await apply_kitchen_status(
        sessions,
        kitchen_event(shop, payment, served_item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4()),
    )
    await apply_kitchen_status(
        sessions,
        kitchen_event(
            shop, payment, cancelled_item, S.CANCELLED, kitchen_ticket_item_id=uuid.uuid4()
        ),
    )

    # served: 2 * 200 milk, 2 * 1 espresso, 2 * 1 * 15 syrup; cancelled: all released
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)
    assert await quantities(sessions, shop.material(espresso)) == (Decimal(48), 0)
    assert await quantities(sessions, shop.material(syrup)) == (Decimal(470), 0)
    await assert_ledger_holds(sessions)


async def test_kitchen_event_at_another_merchants_location_is_not_found(
    sessions: Sessions,
) -> None:
    shop, milk, payment, item = await _paid_latte(sessions)
    other = await a_shop(sessions)
    event = kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4())

    with pytest.raises(DomainError) as raised:
        await apply_kitchen_status(
            sessions,
            replace(event, location_id=other.location_id),
        )

    assert raised.value.codes == [UserErrorCode.NOT_FOUND]
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), Decimal(400))
