"""The availabilityChanged derivation: the real stock events of real moves, fed to the
handler the realtime consumer runs, published on a real (memory) hub."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from app.db import tables as t
from app.domain.enums import KitchenStatus, RecipeOwner
from app.realtime.availability import ProcessAvailability, SharedAvailability
from app.services.sales import apply_kitchen_status, apply_payment
from tests.availability.world import (
    Sessions,
    another_location,
    availability_of,
    material,
    memory_hub,
    product,
    received,
    staged_stock_events,
    values,
)
from tests.services.sales_builders import (
    a_payment,
    a_shop,
    kitchen_event,
    put_stock,
    set_recipe,
    sold,
)

D = Decimal


async def test_a_reservation_taking_a_whole_unit_publishes_only_the_products_it_changed(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "300", "ml")
    beans = await material(sessions, shop, "100")
    _, latte = await product(sessions, shop, "latte", {milk: "150", beans: "18"})
    await product(sessions, shop, "cold brew", {beans: "60"})  # 100, 82 and 64 g all make 1
    await product(sessions, shop, "espresso", {beans: "18"})  # 5, then 4
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = ProcessAvailability(hub, sessions)
        await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        first = await received(pos)
        await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        second = await received(pos)

    assert sorted(values(first)) == [("espresso", D(4), False), ("latte", D(1), False)]
    assert sorted(values(second)) == [("espresso", D(3), False), ("latte", D(0), True)]


async def test_two_materials_limiting_equally_fall_together_and_the_change_is_sent_once(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "300", "ml")  # two lattes
    beans = await material(sessions, shop, "36")  # two lattes
    _, latte = await product(sessions, shop, "latte", {milk: "150", beans: "18"})
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = ProcessAvailability(hub, sessions)
        seen = []
        for _ in range(2):
            await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
            events = await staged_stock_events(sessions)
            for event, message in events:
                await derive(event, message)
            seen.append(values(await received(pos)))

    assert len(events) == 2  # one per material, each alone leaves the other limiting
    assert seen == [[("latte", D(1), False)], [("latte", D(0), True)]]


async def test_modifier_materials_do_not_limit_the_product_and_a_consumption_sends_nothing(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    syrup = await material(sessions, shop, "30", "ml")
    _, latte = await product(sessions, shop, "latte", {milk: "200"})
    vanilla = uuid.uuid4()
    await set_recipe(sessions, shop, RecipeOwner.MODIFIER_OPTION, vanilla, {syrup: "15"})
    item = sold(latte, "1", {vanilla: "2"})  # takes all the syrup
    payment = a_payment(shop, [item])
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = ProcessAvailability(hub, sessions)
        await apply_payment(sessions, payment)
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        paid = await received(pos)
        served = kitchen_event(
            shop, payment, item, KitchenStatus.SERVED, kitchen_ticket_item_id=uuid.uuid4()
        )
        await apply_kitchen_status(sessions, served)
        consumed = await staged_stock_events(sessions)
        for event, message in consumed:
            await derive(event, message)
        after_serving = await received(pos)

    assert values(paid) == [("latte", D(4), False)]
    assert len(consumed) == 2  # milk and syrup: on hand and reserved fell together
    assert after_serving == []


async def test_a_tracked_products_own_stock_and_recipe_both_count_and_versions_grow(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    dough = await material(sessions, shop, "3.2", "pcs")
    cookie, _ = await product(sessions, shop, "cookie", {dough: "0.5"}, tracked=True, on_hand="4.5")
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = ProcessAvailability(hub, sessions)
        events = []
        for key, delta in [
            (shop.product(cookie), "5"),  # 9.5 own, the dough allows 6
            (shop.material(dough), "-0.3"),  # 2.9 allows 5
            (shop.material(dough), "-0.4"),  # 2.5 still allows 5
            (shop.product(cookie), "-12"),  # -2.5 own: 0
        ]:
            await put_stock(sessions, shop, key, delta)
            for event, message in await staged_stock_events(sessions):
                await derive(event, message)
            # Read after each change: a queue keeps only a product's newest value.
            events += await received(pos)

    assert values(events) == [
        ("cookie", D(6), False),
        ("cookie", D(5), False),
        ("cookie", D(0), True),
    ]
    assert [e.version for e in events] == [1, 2, 3]


async def test_instances_sharing_the_state_send_a_change_once_and_a_replay_sends_nothing(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "300", "ml")
    beans = await material(sessions, shop, "36")
    _, latte = await product(sessions, shop, "latte", {milk: "150", beans: "18"})
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        first, second = SharedAvailability(hub, sessions), SharedAvailability(hub, sessions)
        await apply_payment(sessions, a_payment(shop, [sold(latte, "1")]))
        (milk_event, milk_message), (beans_event, beans_message) = await staged_stock_events(
            sessions
        )
        await first(milk_event, milk_message)
        await second(beans_event, beans_message)
        await second(milk_event, milk_message)  # read again after a rebalance
        once = await received(pos)
        await put_stock(sessions, shop, shop.material(milk), "150")  # milk allows 2, beans 1
        await put_stock(sessions, shop, shop.material(beans), "18")  # now 2
        for event, message in await staged_stock_events(sessions):
            await second(event, message)
        restocked = await received(pos)

    async with sessions() as session:
        state = (await session.execute(select(t.published_availability))).one()
    assert values(once) == [("latte", D(1), False)]
    assert values(restocked) == [("latte", D(2), False)]
    assert [e.version for e in once + restocked] == [1, 2]
    assert (state.available_to_sell, state.version) == (D(2), 2)


async def test_a_recipe_change_is_sent_with_the_next_stock_change_of_its_materials(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    _, latte = await product(sessions, shop, "latte", {milk: "200"})
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = ProcessAvailability(hub, sessions)
        await put_stock(sessions, shop, shop.material(milk), "-200")  # 4 lattes
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        before = await received(pos)
        await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, latte, {milk: "100"})
        await put_stock(sessions, shop, shop.material(milk), "-50")  # 750: 7 by the new recipe
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        after = await received(pos)

    assert values(before) == [("latte", D(4), False)]
    assert values(after) == [("latte", D(7), False)]


async def test_a_change_at_one_location_says_nothing_about_another(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    await product(sessions, shop, "latte", {milk: "200"})
    other = await another_location(sessions, shop)
    await put_stock(sessions, other, other.material(milk), "1000")
    await staged_stock_events(sessions)

    async with (
        memory_hub() as hub,
        availability_of(hub, shop) as here,
        availability_of(hub, other) as there,
    ):
        derive = ProcessAvailability(hub, sessions)
        await put_stock(sessions, other, other.material(milk), "-400")
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)
        seen_here, seen_there = await received(here), await received(there)

    assert seen_here == []
    assert values(seen_there) == [("latte", D(3), False)]
