"""Payments and kitchen events in any arrival order, with duplicates, end in the same stock."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import tables as t
from app.domain.enums import KitchenStatus, MovementType, RecipeOwner
from app.services.sales import apply_kitchen_status, apply_payment
from tests.services.arrival_world import (
    Order,
    expected_state,
    orders,
    play,
    seed_world,
    stock_state,
)
from tests.services.sales_builders import (
    Sessions,
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


async def test_served_before_payment_is_applied_by_the_payment_as_in_order(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    _, latte = await an_item(sessions, shop, tracked=False)
    await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    item = sold(latte, "2")
    payment = a_payment(shop, [item])
    served = kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4())

    early = await apply_kitchen_status(sessions, served)
    again = await apply_kitchen_status(sessions, served)
    paid = await apply_payment(sessions, payment)

    async with sessions() as session:
        applied = (await session.execute(select(t.kitchen_ticket_effect.c.applied))).scalar_one()
    assert (early.pending, early.movements_applied, again.duplicate) == (True, 0, True)
    assert (paid.movements_applied, paid.kitchen_effects_applied, applied) == (2, 1, True)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(600), 0)
    assert await movements(sessions, shop.material(milk)) == [
        (MovementType.ADJUSTMENT, Decimal(1000), 0),
        (MovementType.SALE_RESERVATION, 0, Decimal(400)),
        (MovementType.KITCHEN_CONSUMPTION, Decimal(-400), Decimal(-400)),
    ]
    await assert_ledger_holds(sessions)


async def test_cancelled_before_payment_leaves_nothing_reserved(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    _, latte = await an_item(sessions, shop, tracked=False)
    await set_recipe(sessions, shop, PV, latte, {milk: "200"})
    item = sold(latte, "2")
    payment = a_payment(shop, [item])
    ticket_item = uuid.uuid4()

    await apply_kitchen_status(
        sessions,
        kitchen_event(shop, payment, item, S.CANCELLED, kitchen_ticket_item_id=ticket_item),
    )
    await apply_payment(sessions, payment)
    late = await apply_kitchen_status(
        sessions, kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=ticket_item)
    )

    assert late.duplicate
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), 0)
    await assert_ledger_holds(sessions)


async def test_kitchen_event_of_an_item_without_materials_is_settled_by_the_payment(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    _, plain = await an_item(sessions, shop, tracked=False)
    item = sold(plain, "1")
    payment = a_payment(shop, [item])
    await apply_kitchen_status(
        sessions, kitchen_event(shop, payment, item, S.SERVED, kitchen_ticket_item_id=uuid.uuid4())
    )

    outcome = await apply_payment(sessions, payment)

    async with sessions() as session:
        applied = (await session.execute(select(t.kitchen_ticket_effect.c.applied))).scalar_one()
    assert (outcome.movements_applied, outcome.kitchen_effects_applied, applied) == (0, 1, True)


async def test_concurrent_payment_and_kitchen_events_of_one_order_never_miss_each_other(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "10000", unit="ml")
    _, latte = await an_item(sessions, shop, tracked=False)
    await set_recipe(sessions, shop, PV, latte, {milk: "100"})
    work = []
    for _ in range(10):
        served, cancelled = sold(latte, "2"), sold(latte, "1")
        payment = a_payment(shop, [served, cancelled])
        work += [
            apply_payment(sessions, payment),
            apply_kitchen_status(
                sessions,
                kitchen_event(shop, payment, served, S.SERVED, kitchen_ticket_item_id=uuid.uuid4()),
            ),
            apply_kitchen_status(
                sessions,
                kitchen_event(
                    shop, payment, cancelled, S.CANCELLED, kitchen_ticket_item_id=uuid.uuid4()
                ),
            ),
        ]

    await asyncio.gather(*work)

    assert await quantities(sessions, shop.material(milk)) == (Decimal(8000), 0)
    await assert_ledger_holds(sessions)


# --- property: every arrival order, with duplicates, ends like the in-order, once-each run
#
# Each example seeds two identical worlds under two new merchants and plays the events in
# order in one and shuffled with duplicates in the other. Merchant isolation keeps every
# example and world apart, so the tables emptied once by the `sessions` fixture need no
# reset between examples (which hypothesis could not get from a fixture anyway).


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    # Shrinking replays hundreds of database-backed examples (minutes); a failure prints
    # its example unshrunk, which at this size (at most 3 orders) is readable as it is.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data(), sale_orders=orders())
async def test_any_arrival_order_with_duplicates_ends_in_the_in_order_stock(
    sessions: Sessions, data: st.DataObject, sale_orders: list[Order]
) -> None:
    in_order_world, shuffled_world = await seed_world(sessions), await seed_world(sessions)
    in_order = [e for o in sale_orders for e in o.events(in_order_world.shop)]
    mirrored = [e for o in sale_orders for e in o.events(shuffled_world.shop)]
    repeats = data.draw(st.lists(st.integers(0, max(len(mirrored) - 1, 0)), max_size=4))
    arrival = data.draw(st.permutations(mirrored + [mirrored[i] for i in repeats if mirrored]))

    await play(sessions, in_order)
    await play(sessions, arrival)

    once_each = await stock_state(sessions, in_order_world)
    assert once_each == expected_state(sale_orders)
    assert await stock_state(sessions, shuffled_world) == once_each
    await assert_ledger_holds(sessions)
