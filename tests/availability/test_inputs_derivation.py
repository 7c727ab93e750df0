"""availabilityChanged without stock moving: the recipe and item services' real
availability-inputs events, fed to the handler the realtime consumer runs (the
in-process one and the shared one), published on a real (memory) hub."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.realtime.availability import (
    ProcessAvailability,
    SharedAvailability,
    lock_every_location,
    lock_key,
)
from tests.availability.world import (
    Sessions,
    another_location,
    availability_of,
    material,
    memory_hub,
    product,
    received,
    recipe_set,
    staged_inputs_changes,
    staged_stock_events,
    values,
    variant_update,
)
from tests.services.sales_builders import Shop, a_shop, put_stock

D = Decimal

Derivation = ProcessAvailability | SharedAvailability


@pytest.fixture(params=["process", "shared"])
def derivation(request: pytest.FixtureRequest) -> type[Derivation]:
    return ProcessAvailability if request.param == "process" else SharedAvailability


async def derive_inputs(sessions: Sessions, derive: Derivation) -> int:
    """Feed the staged inputs events to `derive`; how many there were."""
    changes = await staged_inputs_changes(sessions)
    for change in changes:
        await derive.inputs_changed(change)
    return len(changes)


async def test_a_recipe_needing_more_than_there_is_sells_out_everywhere_and_relaxing_it_brings_it_back(  # noqa: E501
    sessions: Sessions, derivation: type[Derivation]
) -> None:
    shop, rival = await a_shop(sessions), await a_shop(sessions)
    milk = await material(sessions, shop, "320", "ml")
    _, latte = await product(sessions, shop, "latte", {milk: "150"})  # 2 here
    kitchen = await another_location(sessions, shop)
    await put_stock(sessions, kitchen, kitchen.material(milk), "1000")  # 6 there
    await staged_stock_events(sessions)

    async with (
        memory_hub() as hub,
        availability_of(hub, shop) as pos,
        availability_of(hub, kitchen) as kitchen_pos,
        availability_of(hub, rival) as snooping,
    ):
        derive = derivation(hub, sessions)
        await recipe_set(sessions, shop, latte, {milk: "400"})
        tightened = await derive_inputs(sessions, derive)
        sold_out, sold_out_there = await received(pos), await received(kitchen_pos)
        await recipe_set(sessions, shop, latte, {milk: "100"})
        relaxed = await derive_inputs(sessions, derive)
        back, back_there = await received(pos), await received(kitchen_pos)
        snooped = await received(snooping)

    assert (tightened, relaxed) == (1, 1)
    assert values(sold_out) == [("latte", D(0), True)]
    assert values(sold_out_there) == [("latte", D(2), False)]
    assert values(back) == [("latte", D(3), False)]
    assert values(back_there) == [("latte", D(10), False)]
    assert snooped == []


async def test_a_recipe_edit_that_keeps_the_count_sends_nothing_published_before_or_not(
    sessions: Sessions, derivation: type[Derivation]
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "320", "ml")
    beans = await material(sessions, shop, "100")
    _, latte = await product(sessions, shop, "latte", {milk: "150"})  # 2
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = derivation(hub, sessions)
        await recipe_set(sessions, shop, latte, {milk: "140", beans: "18"})  # 2 and 5: still 2
        never_published = await derive_inputs(sessions, derive)
        unchanged = await received(pos)
        await recipe_set(sessions, shop, latte, {milk: "400"})  # 0
        await derive_inputs(sessions, derive)
        sold_out = await received(pos)
        await recipe_set(sessions, shop, latte, {milk: "330", beans: "18"})  # still 0
        published_before = await derive_inputs(sessions, derive)
        still_sold_out = await received(pos)

    assert (never_published, published_before) == (1, 1)  # derived, and found unchanged
    assert unchanged == []
    assert values(sold_out) == [("latte", D(0), True)]
    assert still_sold_out == []


async def test_tracking_turned_off_and_on_sends_the_new_value_only_when_it_changes(
    sessions: Sessions, derivation: type[Derivation]
) -> None:
    shop = await a_shop(sessions)
    dough = await material(sessions, shop, "10", "pcs")
    _, cookie = await product(sessions, shop, "cookie", {dough: "1"}, tracked=True, on_hand="3")
    _, muffin = await product(sessions, shop, "muffin", {dough: "4"}, tracked=True, on_hand="5")
    _, water = await product(sessions, shop, "water")  # neither: unlimited
    await staged_stock_events(sessions)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = derivation(hub, sessions)
        seen = []
        for variant, tracked in [
            (cookie, False),  # 3 own → 10 by the dough
            (cookie, True),  # back to 3
            (muffin, False),  # 2 by the dough either way
            (water, True),  # no stock of its own: 0
        ]:
            await variant_update(sessions, shop, variant, tracked=tracked)
            await derive_inputs(sessions, derive)
            seen.append(values(await received(pos)))

    assert seen == [
        [("cookie", D(10), False)],
        [("cookie", D(3), False)],
        [],
        [("water", D(0), True)],
    ]


async def test_an_item_archived_gets_nothing_and_unarchived_gets_what_changed_meanwhile(
    sessions: Sessions, derivation: type[Derivation]
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    _, latte = await product(sessions, shop, "latte", {milk: "150"})
    await staged_stock_events(sessions)

    async def stock_moves(derive: Derivation, delta: str) -> None:
        await put_stock(sessions, shop, shop.material(milk), delta)
        for event, message in await staged_stock_events(sessions):
            await derive(event, message)

    async with memory_hub() as hub, availability_of(hub, shop) as pos:
        derive = derivation(hub, sessions)
        await stock_moves(derive, "-200")  # 800: 5
        published = await received(pos)
        await variant_update(sessions, shop, latte, archived=True)
        archived_events = await derive_inputs(sessions, derive)
        await stock_moves(derive, "-500")  # 300: 2, not derived while archived
        while_archived = await received(pos)
        await variant_update(sessions, shop, latte, archived=False)
        await derive_inputs(sessions, derive)
        unarchived = await received(pos)

    assert values(published) == [("latte", D(5), False)]
    assert archived_events == 0  # archiving changes no availableToSell
    assert while_archived == []
    assert values(unarchived) == [("latte", D(2), False)]


async def test_an_inputs_derivation_holds_the_lock_each_location_s_stock_derivation_takes(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    kitchen = await another_location(sessions, shop)
    rival = await a_shop(sessions)

    async def free(place: Shop) -> bool:
        key = lock_key(place.merchant_id, place.location_id)
        async with sessions.begin() as session:
            taken = await session.execute(
                select(func.pg_try_advisory_xact_lock(func.hashtextextended(key, 0)))
            )
            return bool(taken.scalar_one())

    async with sessions.begin() as holder:
        await lock_every_location(holder, shop.merchant_id)
        held = [await free(shop), await free(kitchen), await free(rival)]
    released = [await free(shop), await free(kitchen)]

    assert held == [False, False, True]
    assert released == [True, True]
