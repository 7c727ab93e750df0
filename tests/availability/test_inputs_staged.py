"""Which recipe and item changes stage an availability-inputs event, and what it carries:
the services against the real database, the staged outbox rows read back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from app.db import tables as t
from app.domain.enums import RecipeOwner
from app.kafka import topics
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    MalformedInputsEvent,
    availability_inputs_changed_event,
    decode_availability_inputs_changed,
)
from app.services.context import Actor
from app.services.inventory_items import ProductVariantUpsert, ensure_inventory_item
from app.services.recipes import RecipeLineInput, set_modifier_recipe
from tests.availability.world import (
    Sessions,
    material,
    product,
    recipe_set,
    staged_inputs_changes,
    variant_update,
)
from tests.services.sales_builders import a_shop, set_recipe

D = Decimal


async def test_a_recipe_replaced_by_other_lines_stages_its_old_lines_keyed_by_the_item(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "1000", "ml")
    beans = await material(sessions, shop, "1000")
    latte_id, latte = await product(sessions, shop, "latte")
    await staged_inputs_changes(sessions)

    await recipe_set(sessions, shop, latte, {milk: "150", beans: "18"})
    first = await staged_inputs_changes(sessions)
    await recipe_set(sessions, shop, latte, {beans: "18.000", milk: "150.0"})  # the same
    same = await staged_inputs_changes(sessions)
    await recipe_set(sessions, shop, latte, {milk: "200"})
    async with sessions() as session:
        keys = (
            await session.execute(
                select(t.outbox_event.c.key).where(
                    t.outbox_event.c.merchant_id == shop.merchant_id,
                    t.outbox_event.c.topic == topics.AVAILABILITY_INPUTS_CHANGED,
                    t.outbox_event.c.sent_at.is_(None),
                )
            )
        ).scalars()
        staged_keys = list(keys)
    second = await staged_inputs_changes(sessions)
    await recipe_set(sessions, shop, latte, {})
    cleared = await staged_inputs_changes(sessions)

    assert [(c.inventory_item_id, c.recipe_before, c.tracked_before) for c in first] == [
        (latte_id, (), None)
    ]
    assert first[0].merchant_id == shop.merchant_id
    assert first[0].occurred_at.tzinfo is not None
    assert same == []
    assert staged_keys == [str(latte_id)]
    assert [c.recipe_before for c in second] == [((beans, D(18)), (milk, D(150)))]  # as stored
    assert [c.recipe_before for c in cleared] == [((milk, D(200)),)]


async def test_a_modifier_recipe_limits_no_product_and_stages_nothing(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    syrup = await material(sessions, shop, "100", "ml")
    await staged_inputs_changes(sessions)

    await set_modifier_recipe(
        sessions,
        Actor(shop.merchant_id, "manager"),
        modifier_option_id=uuid.uuid4(),
        lines=[RecipeLineInput(syrup, D(15))],
    )

    assert await staged_inputs_changes(sessions) == []


async def test_tracking_and_unarchiving_stage_an_event_and_other_item_changes_do_not(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    cookie_id, cookie = await product(sessions, shop, "cookie", tracked=True)
    await staged_inputs_changes(sessions)

    staged = []
    for change in [
        {"tracked": False},
        {"tracked": False, "name": "Cookie"},  # tracking as it was
        {"archived": True},
        {"archived": True},
        {"archived": False},
        {"archived": False, "tracked": True},  # only tracking changes
    ]:
        await variant_update(sessions, shop, cookie, **change)  # type: ignore[arg-type]
        staged.append(
            [(c.inventory_item_id, c.tracked_before) for c in await staged_inputs_changes(sessions)]
        )

    assert staged == [
        [(cookie_id, True)],
        [],
        [],
        [],
        [(cookie_id, None)],
        [(cookie_id, False)],
    ]


async def test_a_stale_cdc_change_of_tracking_stages_nothing(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    variant = uuid.uuid4()
    actor = Actor(shop.merchant_id, "consumer:product-variant.cdc")
    upsert = ProductVariantUpsert(shop.merchant_id, variant, track_inventory=True)
    await ensure_inventory_item(sessions, upsert, actor=actor, source_lsn=20)
    created = await staged_inputs_changes(sessions)

    older = ProductVariantUpsert(shop.merchant_id, variant, track_inventory=False)
    result = await ensure_inventory_item(sessions, older, actor=actor, source_lsn=10)

    assert created == []  # a new item: nothing was published of it
    assert result.stale
    assert await staged_inputs_changes(sessions) == []


async def test_the_test_builders_recipe_writes_stage_nothing(sessions: Sessions) -> None:
    # The derivation tests' setup writes recipes directly: only the service stages.
    shop = await a_shop(sessions)
    milk = await material(sessions, shop, "100", "ml")
    _, latte = await product(sessions, shop, "latte")
    await staged_inputs_changes(sessions)

    await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, latte, {milk: "10"})

    assert await staged_inputs_changes(sessions) == []


def test_the_payload_reads_back_as_written_and_a_malformed_one_is_refused() -> None:
    change = AvailabilityInputsChanged(
        uuid.uuid4(),
        uuid.uuid4(),
        datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        tracked_before=True,
        recipe_before=((uuid.uuid4(), D("0.125")),),
    )
    message = json.dumps(availability_inputs_changed_event(change).payload)

    refused = []
    for broken in [
        "[]",
        message.replace('"trackInventory": true', '"trackInventory": "yes"'),
        message.replace("Z", ""),
        message.replace('"0.125"', '"a lot"'),
        json.dumps({"merchantId": str(change.merchant_id)}),
    ]:
        try:
            decode_availability_inputs_changed(broken)
        except MalformedInputsEvent:
            refused.append(broken)

    assert decode_availability_inputs_changed(message) == change
    assert len(refused) == 5
