"""Average cost and value rules, worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

from app.domain.costs import moving_average, purchase_currency_problem, stock_value


def test_the_first_receipt_sets_the_cost() -> None:
    assert moving_average(D(0), None, D("10"), D("25")) == D("2.500000000000")


def test_a_second_receipt_blends_by_quantity() -> None:
    # 10 at 2.50 on hand, 30 received worth 90 (3.00 each): (25 + 90) / 40 = 2.875
    assert moving_average(D("10"), D("2.5"), D("30"), D("90")) == D("2.875000000000")


def test_nothing_on_hand_restarts_at_the_receipt_cost() -> None:
    assert moving_average(D("-4"), D("2.5"), D("10"), D("30")) == D("3.000000000000")


def test_the_average_rounds_once_half_to_even_to_12_places() -> None:
    # (1 x 1 + 2) / 3 = 1
    assert moving_average(D("1"), D("1"), D("2"), D("2")) == D("1.000000000000")
    # 1 received worth 2 on 2 at 0: (0 + 2) / 3 = 0.666666666666|67
    assert moving_average(D("2"), D("0"), D("1"), D("2")) == D("0.666666666667")


def test_receiving_nothing_keeps_the_cost() -> None:
    assert moving_average(D("5"), D("2"), D("0"), D("0")) == D("2")


def test_value_is_exact_and_absent_without_cost() -> None:
    assert stock_value(D("1.5"), D("2.875000000000")) == D("4.3125")
    assert stock_value(D("3"), None) is None


def test_one_purchase_currency() -> None:
    assert purchase_currency_problem(None, "EUR") is None
    assert purchase_currency_problem("EUR", "EUR") is None
    assert "EUR" in (purchase_currency_problem("EUR", "USD") or "")
