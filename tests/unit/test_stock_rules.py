"""Availability, low stock, the went-negative flag and quantity limits: pure rules."""

from decimal import Decimal

import pytest

from app.domain.availability import available_to_sell, sold_out
from app.domain.errors import DomainError
from app.domain.quantities import parse_decimal, require_not_negative, require_positive
from app.domain.stock_rules import is_low, threshold_change_crosses, went_negative, whole_units


@pytest.mark.parametrize(
    ("on_hand", "reserved", "negative"),
    [("5", "5", False), ("5", "6", True), ("-1", "0", True), ("0", "0", False)],
)
def test_a_movement_went_negative_when_on_hand_or_available_is_below_zero(
    on_hand: str, reserved: str, negative: bool
) -> None:
    assert went_negative(Decimal(on_hand), Decimal(reserved)) is negative


def test_low_only_with_a_threshold_and_at_or_below_it() -> None:
    assert is_low(Decimal(3), Decimal(3))
    assert not is_low(Decimal("3.1"), Decimal(3))
    assert not is_low(Decimal(-100), None)


def test_whole_units_round_down_and_never_go_below_zero() -> None:
    assert whole_units(Decimal(100), Decimal(18)) == 5
    assert whole_units(Decimal(-5), Decimal(18)) == 0


def test_available_to_sell_is_the_smallest_limit_or_none_without_any() -> None:
    # Tracked stock allows 7; beans 100 / 18 allow 5; milk 1000 / 200 allow 5.
    recipe = [(Decimal(100), Decimal(18)), (Decimal(1000), Decimal(200))]

    assert available_to_sell(tracked=True, stock_available=Decimal(7), recipe=recipe) == 5
    assert available_to_sell(tracked=True, stock_available=Decimal(-2), recipe=[]) == 0
    assert available_to_sell(tracked=False, stock_available=None, recipe=[]) is None
    # A material without a stock row allows nothing.
    assert available_to_sell(tracked=False, stock_available=None, recipe=[(None, Decimal(1))]) == 0


@pytest.mark.parametrize("text", ["1e12", "0.0000001", "1000000000000", "NaN", "abc", 1.5])
def test_quantities_outside_the_limits_are_invalid(text: object) -> None:
    with pytest.raises(DomainError):
        parse_decimal(text, ("q",))


def test_quantities_within_the_limits_are_exact() -> None:
    assert parse_decimal(" 999999999999.999999 ", ("q",)) == Decimal("999999999999.999999")
    assert require_not_negative(Decimal(0), ("q",)) == 0
    with pytest.raises(DomainError):
        require_positive(Decimal(0), ("q",))


def test_sold_out_means_limited_below_one_whole_unit() -> None:
    assert sold_out(Decimal("0.999999"))
    assert not sold_out(Decimal(1))
    assert not sold_out(None)


@pytest.mark.parametrize(
    ("before", "after", "crosses"),
    [
        (None, "300", True),  # set at the available quantity: low now
        (None, "299", False),  # set below it: still not low
        ("300", None, True),  # cleared: no longer low
        ("400", "300", False),  # lowered, still at or above available: still low
        ("300", "299.5", True),  # lowered below available: no longer low
        ("100", "200", False),  # raised but still below: still not low
        (None, None, False),
    ],
)
def test_a_threshold_change_crosses_only_when_lowness_changes(
    before: str | None, after: str | None, crosses: bool
) -> None:
    def limit(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    assert threshold_change_crosses(Decimal(300), limit(before), limit(after)) is crosses
