"""What a sale deducts and reserves: app.domain.sale and app.domain.sale_snapshot, no database."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.enums import MovementType, RecipeOwner, ReferenceType
from app.domain.errors import DomainError, UserErrorCode
from app.domain.moves import StockKey
from app.domain.sale import (
    PaymentSucceeded,
    SaleItem,
    SaleModifier,
    SoldProduct,
    check_payment,
    reservation_moves,
    sale_moves,
)
from app.domain.sale_snapshot import RecipeLine, SaleSnapshot, build_snapshot

LOCATION = uuid.uuid4()
LATTE, CAKE = uuid.uuid4(), uuid.uuid4()
EXTRA_SHOT = uuid.uuid4()
BEANS, MILK = uuid.uuid4(), uuid.uuid4()
LATTE_ITEM, CAKE_ITEM = uuid.uuid4(), uuid.uuid4()


def a_payment(*items: SaleItem) -> PaymentSucceeded:
    return PaymentSucceeded(
        event_id=uuid.uuid4(),
        merchant_id=uuid.uuid4(),
        location_id=LOCATION,
        sale_order_id=uuid.uuid4(),
        items=items,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def sold(variant: uuid.UUID, quantity: str, *modifiers: SaleModifier) -> SaleItem:
    return SaleItem(uuid.uuid4(), variant, Decimal(quantity), modifiers)


def line(material: uuid.UUID, quantity: str) -> RecipeLine:
    return RecipeLine(uuid.uuid4(), material, Decimal(quantity))


RECIPES = {
    (RecipeOwner.PRODUCT_VARIANT, LATTE): [line(BEANS, "18"), line(MILK, "200")],
    (RecipeOwner.MODIFIER_OPTION, EXTRA_SHOT): [line(BEANS, "9")],
}


def test_tracked_products_are_deducted_summed_per_stock_untracked_ones_not() -> None:
    payment = a_payment(sold(CAKE, "2"), sold(CAKE, "1.5"), sold(LATTE, "3"))
    products = {CAKE: SoldProduct(CAKE_ITEM, True), LATTE: SoldProduct(LATTE_ITEM, False)}

    moves = sale_moves(payment, products)

    assert [(m.key, m.type, m.delta_on_hand, m.delta_reserved) for m in moves] == [
        (StockKey.product(LOCATION, CAKE_ITEM), MovementType.SALE, Decimal("-3.5"), 0)
    ]
    assert moves[0].reference_type is ReferenceType.SALE_ORDER
    assert moves[0].reference_id == str(payment.sale_order_id)


def test_a_sale_reserves_item_recipe_plus_modifier_recipes_summed_per_material() -> None:
    # 2 lattes with 1.5 extra shots each, and 1 plain latte:
    # beans 2 * (18 + 1.5 * 9) + 1 * 18 = 81, milk 3 * 200 = 600.
    payment = a_payment(
        sold(LATTE, "2", SaleModifier(EXTRA_SHOT, Decimal("1.5"))), sold(LATTE, "1")
    )

    snapshot = build_snapshot(LOCATION, payment.items, RECIPES)
    moves = reservation_moves(payment, snapshot)

    assert {m.key: m.delta_reserved for m in moves} == {
        StockKey.material(LOCATION, BEANS): Decimal(81),
        StockKey.material(LOCATION, MILK): Decimal(600),
    }
    assert {m.type for m in moves} == {MovementType.SALE_RESERVATION}
    assert all(m.delta_on_hand == 0 for m in moves)


def test_an_item_without_any_recipe_reserves_nothing() -> None:
    payment = a_payment(sold(CAKE, "4"))

    snapshot = build_snapshot(LOCATION, payment.items, RECIPES)

    assert snapshot.items == {}
    assert reservation_moves(payment, snapshot) == []


def test_the_stored_snapshot_reads_back_as_what_was_reserved() -> None:
    payment = a_payment(sold(LATTE, "2", SaleModifier(EXTRA_SHOT, Decimal("1"))))
    snapshot = build_snapshot(LOCATION, payment.items, RECIPES)
    read_back = SaleSnapshot()

    for move in reservation_moves(payment, snapshot):
        read_back.merge_movement_json(LOCATION, move.recipe_snapshot)

    assert read_back.reservations() == snapshot.reservations()
    [item] = read_back.items.values()
    assert item.per_unit[StockKey.material(LOCATION, BEANS)] == Decimal(27)
    assert {(x.owner_type, x.times) for x in item.lines if x.material_id == BEANS} == {
        (RecipeOwner.PRODUCT_VARIANT, Decimal(1)),
        (RecipeOwner.MODIFIER_OPTION, Decimal(1)),
    }


def test_six_place_quantities_multiply_exactly() -> None:
    # (10^6 - 10^-6) units * (10^6 - 10^-6) shots * 10^-6 g = 10^6 - 2*10^-6 + 10^-18 g:
    # 24 significant digits, past the default context's 28 only by luck of the values,
    # so the rule keeps its own precision.
    recipes = {(RecipeOwner.MODIFIER_OPTION, EXTRA_SHOT): [line(BEANS, "0.000001")]}
    item = sold(LATTE, "999999.999999", SaleModifier(EXTRA_SHOT, Decimal("999999.999999")))

    reserved = build_snapshot(LOCATION, [item], recipes).reservations()

    assert reserved == {StockKey.material(LOCATION, BEANS): Decimal("999999.999998000000000001")}


def test_a_payment_with_bad_quantities_and_a_repeated_item_reports_every_problem() -> None:
    repeated = sold(CAKE, "1")
    payment = a_payment(
        sold(CAKE, "0"),
        sold(LATTE, "1", SaleModifier(EXTRA_SHOT, Decimal("-1"))),
        repeated,
        repeated,
    )

    with pytest.raises(DomainError) as raised:
        check_payment(payment)

    assert [(p.code, p.field) for p in raised.value.problems] == [
        (UserErrorCode.INVALID, ("items", 0, "quantity")),
        (UserErrorCode.INVALID, ("items", 1, "modifiers", 0, "quantity")),
        (UserErrorCode.DUPLICATE, ("items", 3, "saleOrderItemId")),
    ]


def test_a_sale_and_its_reservations_carry_the_payment_time() -> None:
    payment = a_payment(sold(CAKE, "1"), sold(LATTE, "1"))
    products = {CAKE: SoldProduct(CAKE_ITEM, True), LATTE: SoldProduct(LATTE_ITEM, False)}
    snapshot = build_snapshot(LOCATION, payment.items, RECIPES)

    moves = sale_moves(payment, products) + reservation_moves(payment, snapshot)

    assert len(moves) == 3
    assert {m.sold_at for m in moves} == {payment.occurred_at}
