"""apply_payment: product deduction, recipe and modifier reservations, idempotency."""

import asyncio
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Table, func, select

from app.db import tables as t
from app.domain.enums import MovementType, RecipeOwner
from app.domain.errors import DomainError, UserErrorCode
from app.services.sales import apply_payment
from tests.services.sales_builders import (
    Sessions,
    a_material,
    a_payment,
    a_shop,
    an_item,
    assert_ledger_holds,
    ledger_checked,  # noqa: F401 (the fixture below)
    movements,
    quantities,
    set_recipe,
    sold,
)

pytestmark = pytest.mark.usefixtures("ledger_checked")

PV = RecipeOwner.PRODUCT_VARIANT
MOD = RecipeOwner.MODIFIER_OPTION


async def _count(sessions: Sessions, table: Table) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_payment_deducts_tracked_stock_and_reserves_item_and_modifier_materials(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "5000", unit="ml")
    espresso = await a_material(sessions, shop, "100", unit="pcs")
    latte_item, latte = await an_item(sessions, shop, tracked=True, on_hand="10")
    _, cappuccino = await an_item(sessions, shop, tracked=False)
    extra_shot = uuid.uuid4()
    await set_recipe(sessions, shop, PV, latte, {milk: "200", espresso: "0.5"})
    await set_recipe(sessions, shop, PV, cappuccino, {milk: "150", espresso: "0.5"})
    await set_recipe(sessions, shop, MOD, extra_shot, {espresso: "1"})
    lattes = sold(latte, "2", {extra_shot: "1"})
    cappuccinos = sold(cappuccino, "3")

    outcome = await apply_payment(sessions, a_payment(shop, [lattes, cappuccinos]))

    assert await quantities(sessions, shop.product(latte_item)) == (Decimal(8), 0)
    assert await quantities(sessions, shop.material(milk)) == (Decimal(5000), Decimal(850))
    # 2 * 0.5 + 2 * 1 * 1 + 3 * 0.5, exact
    assert await quantities(sessions, shop.material(espresso)) == (Decimal(100), Decimal("4.5"))
    assert await movements(sessions, shop.material(milk)) == [
        (MovementType.ADJUSTMENT, Decimal(5000), 0),
        (MovementType.SALE_RESERVATION, 0, Decimal(850)),
    ]
    assert (outcome.movements_applied, outcome.duplicates, outcome.went_negative) == (3, 0, ())
    await assert_ledger_holds(sessions)


async def test_reservation_movement_stores_the_recipe_snapshot_per_sale_order_item(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    espresso = await a_material(sessions, shop, "100", unit="pcs")
    _, latte = await an_item(sessions, shop, tracked=False)
    extra_shot = uuid.uuid4()
    await set_recipe(sessions, shop, PV, latte, {espresso: "0.5"})
    await set_recipe(sessions, shop, MOD, extra_shot, {espresso: "1"})
    lattes = sold(latte, "2", {extra_shot: "2"})

    await apply_payment(sessions, a_payment(shop, [lattes]))

    async with sessions() as session:
        snapshot = (
            await session.execute(
                select(t.stock_movement.c.recipe_snapshot).where(
                    t.stock_movement.c.type == MovementType.SALE_RESERVATION
                )
            )
        ).scalar_one()
    [entry] = snapshot["items"]
    assert snapshot["materialId"] == str(espresso)
    assert (entry["saleOrderItemId"], entry["quantity"], entry["perUnit"]) == (
        str(lattes.sale_order_item_id),
        "2",
        "2.5",
    )
    assert sorted(
        (line["ownerType"], line["quantity"], line["times"]) for line in entry["lines"]
    ) == [
        ("MODIFIER_OPTION", "1", "2"),
        ("PRODUCT_VARIANT", "0.5", "1"),
    ]


async def test_two_items_of_the_same_variant_make_one_summed_sale_movement(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    item, variant = await an_item(sessions, shop, tracked=True, on_hand="10")

    await apply_payment(sessions, a_payment(shop, [sold(variant, "6"), sold(variant, "1.5")]))

    assert await movements(sessions, shop.product(item)) == [
        (MovementType.ADJUSTMENT, Decimal(10), 0),
        (MovementType.SALE, Decimal("-7.5"), 0),
    ]


async def test_untracked_item_without_recipe_changes_no_stock(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    _, variant = await an_item(sessions, shop, tracked=False)

    outcome = await apply_payment(sessions, a_payment(shop, [sold(variant, "1")]))

    assert (outcome.movements_applied, outcome.created_items) == (0, ())
    assert await _count(sessions, t.stock) == 0
    assert await _count(sessions, t.stock_movement) == 0


async def test_unknown_variant_is_created_on_the_fly_and_its_recipe_reserved(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    milk = await a_material(sessions, shop, "1000", unit="ml")
    unknown = uuid.uuid4()
    await set_recipe(sessions, shop, PV, unknown, {milk: "0.5"})

    outcome = await apply_payment(sessions, a_payment(shop, [sold(unknown, "3")]))

    async with sessions() as session:
        item = (await session.execute(select(t.inventory_item))).one()
    assert outcome.created_items == (item.id,)
    assert (item.product_variant_id, item.name, item.track_inventory) == (
        unknown,
        "Unnamed variant",
        False,
    )
    assert await quantities(sessions, shop.material(milk)) == (Decimal(1000), Decimal("1.5"))
    await assert_ledger_holds(sessions)


async def test_paid_sale_may_take_stock_negative_and_is_flagged(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    beans = await a_material(sessions, shop, "10")
    item, variant = await an_item(sessions, shop, tracked=True, on_hand="1")
    await set_recipe(sessions, shop, PV, variant, {beans: "18"})

    outcome = await apply_payment(sessions, a_payment(shop, [sold(variant, "3")]))

    async with sessions() as session:
        flags = (
            await session.execute(
                select(t.stock_movement.c.type, t.stock_movement.c.went_negative)
                .where(t.stock_movement.c.reference_type == "SALE_ORDER")
                .order_by(t.stock_movement.c.type)
            )
        ).all()
    assert await quantities(sessions, shop.product(item)) == (Decimal(-2), 0)
    assert await quantities(sessions, shop.material(beans)) == (Decimal(10), Decimal(54))
    assert [(MovementType(f.type), f.went_negative) for f in flags] == [
        (MovementType.SALE, True),
        (MovementType.SALE_RESERVATION, True),
    ]
    assert len(outcome.went_negative) == 2
    await assert_ledger_holds(sessions)


async def test_the_same_payment_three_times_applies_once(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    beans = await a_material(sessions, shop, "100")
    item, variant = await an_item(sessions, shop, tracked=True, on_hand="10")
    await set_recipe(sessions, shop, PV, variant, {beans: "18"})
    payment = a_payment(shop, [sold(variant, "2")])

    outcomes = [await apply_payment(sessions, payment) for _ in range(3)]

    assert [(o.movements_applied, o.duplicates) for o in outcomes] == [(2, 0), (0, 2), (0, 2)]
    assert await quantities(sessions, shop.product(item)) == (Decimal(8), 0)
    assert await quantities(sessions, shop.material(beans)) == (Decimal(100), Decimal(36))
    await assert_ledger_holds(sessions)


async def test_redelivery_after_recipe_and_tracking_changed_still_changes_nothing(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    beans = await a_material(sessions, shop, "100")
    sugar = await a_material(sessions, shop, "100")
    item, variant = await an_item(sessions, shop, tracked=False, on_hand="10")
    await set_recipe(sessions, shop, PV, variant, {beans: "18"})
    payment = a_payment(shop, [sold(variant, "2")])
    await apply_payment(sessions, payment)
    await set_recipe(sessions, shop, PV, variant, {beans: "20", sugar: "5"})
    async with sessions.begin() as session:
        await session.execute(t.inventory_item.update().values(track_inventory=True))

    outcome = await apply_payment(sessions, payment)

    assert outcome.movements_applied == 0
    assert await quantities(sessions, shop.material(beans)) == (Decimal(100), Decimal(36))
    assert await quantities(sessions, shop.material(sugar)) == (Decimal(100), 0)
    assert await quantities(sessions, shop.product(item)) == (0, 0)


async def test_payment_at_another_merchants_location_is_not_found_and_writes_nothing(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    other = await a_shop(sessions)
    payment = a_payment(shop, [sold(uuid.uuid4(), "1")], location_id=other.location_id)
    before = (await _count(sessions, t.merchant), await _count(sessions, t.stock_movement))

    with pytest.raises(DomainError) as raised:
        await apply_payment(sessions, payment)

    assert raised.value.codes == [UserErrorCode.NOT_FOUND]
    assert raised.value.problems[0].field == ("locationId",)
    assert await _count(sessions, t.inventory_item) == 0
    assert (await _count(sessions, t.merchant), await _count(sessions, t.stock_movement)) == before


async def test_non_positive_quantities_are_reported_together(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    bad = [sold(uuid.uuid4(), "0"), sold(uuid.uuid4(), "1", {uuid.uuid4(): "-1"})]

    with pytest.raises(DomainError) as raised:
        await apply_payment(sessions, a_payment(shop, bad))

    assert [p.field for p in raised.value.problems] == [
        ("items", 0, "quantity"),
        ("items", 1, "modifiers", 0, "quantity"),
    ]


async def test_twenty_concurrent_deliveries_of_one_payment_apply_once(sessions: Sessions) -> None:
    shop = await a_shop(sessions)
    beans = await a_material(sessions, shop, "100")
    item, variant = await an_item(sessions, shop, tracked=True, on_hand="50")
    unknown = uuid.uuid4()
    await set_recipe(sessions, shop, PV, variant, {beans: "18"})
    payment = a_payment(shop, [sold(variant, "2"), sold(unknown, "1")])

    outcomes = await asyncio.gather(*(apply_payment(sessions, payment) for _ in range(20)))

    assert sorted(o.movements_applied for o in outcomes) == [0] * 19 + [2]
    assert sum(len(o.created_items) for o in outcomes) == 1
    assert await quantities(sessions, shop.product(item)) == (Decimal(48), 0)
    assert await quantities(sessions, shop.material(beans)) == (Decimal(100), Decimal(36))
    assert await _count(sessions, t.inventory_item) == 2
    await assert_ledger_holds(sessions)


async def test_concurrent_payments_sharing_stocks_and_new_variants_lose_nothing(
    sessions: Sessions,
) -> None:
    shop = await a_shop(sessions)
    beans = await a_material(sessions, shop, "1000")
    item, variant = await an_item(sessions, shop, tracked=True, on_hand="100")
    await set_recipe(sessions, shop, PV, variant, {beans: "1.5"})
    new_a, new_b = uuid.uuid4(), uuid.uuid4()
    payments = [
        a_payment(
            shop,
            [
                sold(variant, "1"),
                sold(new_a if i % 2 else new_b, "1"),
                sold(new_b if i % 2 else new_a, "1"),
            ],
        )
        for i in range(16)
    ]

    await asyncio.gather(*(apply_payment(sessions, p) for p in payments))

    assert await quantities(sessions, shop.product(item)) == (Decimal(84), 0)
    assert await quantities(sessions, shop.material(beans)) == (Decimal(1000), Decimal(24))
    assert await _count(sessions, t.inventory_item) == 3
    await assert_ledger_holds(sessions)
