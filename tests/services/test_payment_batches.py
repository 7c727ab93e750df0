"""apply_payments: a batch of payments in one transaction ends as if applied one by one."""

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import tables as t
from app.domain.enums import KitchenStatus, MovementType, RecipeOwner
from app.domain.errors import DomainError, UserErrorCode
from app.services.sales import apply_kitchen_status, apply_payment, apply_payments
from tests.services.sales_builders import (
    Sessions,
    a_material,
    a_payment,
    a_shop,
    an_item,
    kitchen_event,
    ledger_checked,  # noqa: F401 (the fixture below)
    movements,
    quantities,
    set_recipe,
    sold,
)

pytestmark = pytest.mark.usefixtures("ledger_checked")

PV = RecipeOwner.PRODUCT_VARIANT


async def test_a_batch_of_several_merchants_moves_what_each_payment_would_alone(
    sessions: Sessions,
) -> None:
    shops = [await a_shop(sessions) for _ in range(2)]
    milks = [await a_material(sessions, s, "1000", unit="ml") for s in shops]
    items = [await an_item(sessions, s, tracked=True, on_hand="10") for s in shops]
    for shop, milk, (_, latte) in zip(shops, milks, items, strict=True):
        await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    batch = [a_payment(shops[n % 2], [sold(items[n % 2][1], str(n + 1))]) for n in range(4)]

    outcomes = await apply_payments(sessions, batch)

    # Shop 0 sold 1 + 3 lattes, shop 1 sold 2 + 4.
    assert await quantities(sessions, shops[0].product(items[0][0])) == (Decimal(6), 0)
    assert await quantities(sessions, shops[1].product(items[1][0])) == (Decimal(4), 0)
    assert await quantities(sessions, shops[0].material(milks[0])) == (Decimal(1000), 800)
    assert await quantities(sessions, shops[1].material(milks[1])) == (Decimal(1000), 1200)
    assert [(o.movements_applied, o.duplicates) for o in outcomes] == [(2, 0)] * 4
    # Each payment its own step: the ledger reads in payment order.
    assert await movements(sessions, shops[0].product(items[0][0])) == [
        (MovementType.ADJUSTMENT, Decimal(10), 0),
        (MovementType.SALE, Decimal(-1), 0),
        (MovementType.SALE, Decimal(-3), 0),
    ]


async def test_a_sale_order_twice_in_a_batch_and_one_already_paid_count_as_duplicates(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    item, latte = await an_item(sessions, shop, tracked=True, on_hand="10")
    await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    earlier = a_payment(shop, [sold(latte, "1")])
    await apply_payment(sessions, earlier)
    fresh = a_payment(shop, [sold(latte, "2")])

    outcomes = await apply_payments(sessions, [fresh, earlier, fresh, a_payment(shop, [])])

    assert [(o.movements_applied, o.duplicates) for o in outcomes] == [
        (2, 0),
        (0, 2),
        (0, 2),
        (0, 0),
    ]
    assert await quantities(sessions, shop.product(item)) == (Decimal(7), 0)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), 600)


async def test_a_kitchen_effect_waiting_for_a_sale_order_paid_twice_in_a_batch_applies_once(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    _, latte = await an_item(sessions, shop, tracked=False)
    await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    item = sold(latte, "2")
    payment = a_payment(shop, [item])
    served = kitchen_event(
        shop, payment, item, KitchenStatus.SERVED, kitchen_ticket_item_id=uuid.uuid4()
    )
    await apply_kitchen_status(sessions, served)

    first, again = await apply_payments(sessions, [payment, payment])

    assert (first.kitchen_effects_applied, again.kitchen_effects_applied) == (1, 0)
    assert (again.movements_applied, again.duplicates) == (0, 1)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)
    assert await movements(sessions, shop.material(milk)) == [
        (MovementType.ADJUSTMENT, Decimal(1000), 0),
        (MovementType.SALE_RESERVATION, 0, Decimal(400)),
        (MovementType.KITCHEN_CONSUMPTION, Decimal(-400), Decimal(-400)),
    ]


async def test_unknown_variants_sold_twice_in_a_batch_become_one_item(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()

    first, second = await apply_payments(
        sessions, [a_payment(shop, [sold(variant, "1")]), a_payment(shop, [sold(variant, "2")])]
    )

    assert len(first.created_items) == 1
    assert second.created_items == ()
    async with sessions() as session:
        count = await session.execute(
            select(func.count()).where(t.inventory_item.c.product_variant_id == variant)
        )
    assert count.scalar_one() == 1


async def test_one_payment_at_an_unknown_location_rolls_the_whole_batch_back(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    item, latte = await an_item(sessions, shop, tracked=True, on_hand="10")
    stranger = await a_shop(sessions, merchant_id=uuid.uuid4())
    nowhere = a_payment(
        await a_shop(sessions, merchant_id=uuid.uuid4()),
        [sold(latte, "1")],
        location_id=stranger.location_id,
    )

    with pytest.raises(DomainError) as raised:
        await apply_payments(sessions, [a_payment(shop, [sold(latte, "1")]), nowhere])

    assert raised.value.problems[0].code is UserErrorCode.NOT_FOUND
    assert await quantities(sessions, shop.product(item)) == (Decimal(10), 0)
