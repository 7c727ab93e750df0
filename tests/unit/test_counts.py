"""The stock-take rules of app/domain/counts.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.domain.counts import (
    check_counted_at,
    count_delta,
    counted_quantity,
    require_open,
    uncounted_refusal,
    value_of,
    variance,
)
from app.domain.enums import CountStatus
from app.domain.errors import DomainError, UserErrorCode

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_a_moment_in_the_future_is_invalid_and_now_is_fine() -> None:
    check_counted_at(NOW, NOW, ("input", "countedAt"))
    check_counted_at(NOW - timedelta(hours=3), NOW, ("input", "countedAt"))
    with pytest.raises(DomainError) as raised:
        check_counted_at(NOW + timedelta(seconds=1), NOW, ("input", "countedAt"))
    assert raised.value.codes == [UserErrorCode.INVALID]
    assert raised.value.problems[0].field == ("input", "countedAt")


@pytest.mark.parametrize("status", [CountStatus.APPLIED, CountStatus.CANCELLED])
def test_only_an_open_session_changes(status: CountStatus) -> None:
    require_open(CountStatus.OPEN)
    with pytest.raises(DomainError) as raised:
        require_open(status)
    assert raised.value.codes == [UserErrorCode.INVALID_STATE]
    assert status.value in str(raised.value)


def test_a_line_counts_the_sum_of_its_entries_and_zero_is_a_count() -> None:
    assert counted_quantity([]) is None
    assert counted_quantity([Decimal(0)]) == Decimal(0)
    assert counted_quantity([Decimal("9000"), Decimal("2250")]) == Decimal("11250")


def test_the_delta_keeps_what_happened_after_the_moment_on_top() -> None:
    # 20 on hand at the moment, 17 counted; 5 sold since (on hand now 15): 15 + (17 - 20) = 12,
    # the counted 17 less the 5 sold after.
    on_hand_now = Decimal(15)
    delta = count_delta(Decimal(17), Decimal(20))
    assert delta == Decimal(-3)
    assert on_hand_now + delta == Decimal(17) - Decimal(5)


def test_variance_and_its_value() -> None:
    assert variance(None, Decimal(4)) is None
    assert variance(Decimal("2.5"), Decimal(4)) == Decimal("-1.5")
    assert value_of(Decimal("-1.5"), Decimal("0.004")) == Decimal("-0.006")
    assert value_of(Decimal("-1.5"), None) is None


def test_the_refusal_names_the_first_uncounted_stocks_and_how_many_more() -> None:
    names = [f"Item {n}" for n in range(12)]
    error = uncounted_refusal(names, 12)
    assert error.codes == [UserErrorCode.INVALID_STATE]
    message = error.problems[0].message
    assert message.startswith("12 stocks are not counted: Item 0, Item 1")
    assert "Item 9 and 2 more" in message
    assert "Item 10" not in message
    single = uncounted_refusal(["Flour"], 1).problems[0].message
    assert single.startswith("1 stock is not counted: Flour (")
