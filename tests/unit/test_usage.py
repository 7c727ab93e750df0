"""The usage and variance formulas of app/domain/usage.py, with numbers worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.domain.usage import (
    PeriodMovements,
    by_variance_value,
    period_problem,
    total,
    usage,
    variance_percent,
)

D = Decimal


def test_a_material_week_worked_by_hand() -> None:
    # Milk (ml): 2000 at the start, 5000 received, 300 added by hand, 1000 in from the
    # other shop, 500 out to it, 1800 at the end: 2000 + 5000 + 300 + 1000 - 500 - 1800 = 6000 went.
    # The sales' recipes reserved 5400, 200 of it released by a cancelled latte, and a
    # production used 300 by its prep recipe: 5400 - 200 + 300 = 5500 explained.
    period = PeriodMovements(
        opening=D(2000),
        closing=D(1800),
        received=D(5000),
        adjusted_in=D(300),
        transferred_in=D(1000),
        transferred_out=D(500),
        wasted=D(150),
        reserved_by_sales=D(5400),
        released_by_cancellations=D(200),
        by_productions=D(300),
    )

    u = usage(period, D("0.002"))

    assert u.actual_usage == D(6000)
    assert u.theoretical_usage == D(5500)
    assert u.variance == D(500)
    assert u.unexplained == D(350)
    # 500 / 5500 x 100 = 9.0909… -> 9.09
    assert u.variance_percent == D("9.09")
    assert (u.actual_usage_value, u.theoretical_usage_value) == (D(12), D(11))
    assert (u.variance_value, u.wasted_value) == (D(1), D("0.3"))


def test_a_product_is_sold_units_net_of_returns_and_a_return_is_in_closing() -> None:
    # 10 cookies, 4 baked (produced), 6 sold, 1 returned to stock, 8 at the end:
    # actual 10 + 4 - 8 = 6 (the returned one is in the closing 8, so usage is net of it);
    # theoretical 6 sold - 1 returned = 5: one cookie is unexplained, 1 / 5 = 20 %.
    u = usage(
        PeriodMovements(opening=D(10), closing=D(8), produced=D(4), sold=D(6), returned=D(1)),
        None,
    )

    assert (u.actual_usage, u.theoretical_usage, u.variance) == (D(6), D(5), D(1))
    assert u.variance_percent == D("20.00")
    assert u.variance_value is None


def test_percent_is_none_without_theoretical_usage_and_rounds_half_to_even() -> None:
    assert variance_percent(D(5), D(0)) is None
    # 0.125 % and 0.135 % are exact halves at 2 places: to the even neighbour.
    assert variance_percent(D("0.125"), D(100)) == D("0.12")
    assert variance_percent(D("0.135"), D(100)) == D("0.14")
    assert variance_percent(D(-1), D(3)) == D("-33.33")


def test_lines_order_by_absolute_variance_value_then_uncosted_by_variance() -> None:
    big_loss = (
        "a",
        usage(PeriodMovements(opening=D(10), sold=D(0)), D(1)),
    )  # variance 10, value 10
    small_gain = ("b", usage(PeriodMovements(closing=D(3)), D(1)))  # variance -3, value -3
    uncosted = ("c", usage(PeriodMovements(opening=D(50)), None))  # variance 50, no value
    uncosted_small = ("d", usage(PeriodMovements(opening=D(5)), None))

    ordered = by_variance_value([uncosted_small, small_gain, uncosted, big_loss])

    assert [k for k, _ in ordered] == ["a", "b", "c", "d"]
    assert total(u.variance_value for _, u in ordered) == D(7)
    assert total([None, None]) is None


def test_a_period_is_after_its_start_and_at_most_a_leap_year_long() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)

    assert period_problem(start, start + timedelta(days=366)) is None
    assert period_problem(start, start + timedelta(days=366, seconds=1)) == (
        "a report covers at most 366 days"
    )
    assert period_problem(start, start) == "to must be after from"
