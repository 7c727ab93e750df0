"""Splitting a period into settled whole days and edges (app/domain/ledger_days.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.ledger_days import (
    LATE_AFTER,
    SETTLED_AFTER,
    dated_at,
    is_late,
    last_settled_day,
    split_period,
    unsummed_ranges,
    written_within,
)

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_a_period_of_whole_days_long_ago_is_all_days() -> None:
    split = split_period(at(1), at(8), NOW)

    assert (split.first, split.last, split.edges) == (date(2026, 11, 1), date(2026, 11, 7), [])
    assert len(split.days) == 7


def test_partial_days_at_both_ends_are_edges() -> None:
    split = split_period(at(1, 15), at(8, 6), NOW)

    assert (split.first, split.last) == (date(2026, 11, 2), date(2026, 11, 7))
    assert split.edges == [(at(1, 15), at(2)), (at(8), at(8, 6))]


def test_today_and_a_day_that_ended_less_than_an_hour_ago_are_not_settled() -> None:
    # Yesterday ended 10.5 hours ago: settled. Today is not.
    split = split_period(at(28), NOW, NOW)
    assert (split.first, split.last) == (date(2026, 11, 28), date(2026, 11, 29))
    assert split.edges == [(at(30), NOW)]
    # At 00:30, yesterday ended only half an hour ago.
    early = at(30, 0, 30)
    split = split_period(at(28), early, early)
    assert (split.first, split.last) == (date(2026, 11, 28), date(2026, 11, 28))
    assert split.edges == [(at(29), early)]


def test_a_period_inside_one_day_is_one_edge() -> None:
    split = split_period(at(3, 8), at(3, 17), NOW)

    assert (split.first, split.last, split.days) == (None, None, [])
    assert split.edges == [(at(3, 8), at(3, 17))]
    assert split_period(at(3), at(3) + timedelta(0), NOW).edges == []


def test_a_period_at_the_calendars_first_moment_has_no_settled_day() -> None:
    start = datetime(1, 1, 1, tzinfo=UTC)

    split = split_period(start, start + timedelta(minutes=1), NOW)

    assert (split.first, split.last, split.edges) == (
        None,
        None,
        [(start, start + timedelta(minutes=1))],
    )


def test_a_period_within_the_calendars_last_day_has_no_settled_day() -> None:
    start = datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)
    end = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

    split = split_period(start, end, NOW)

    assert (split.first, split.last, split.edges) == (None, None, [(start, end)])


def test_a_sale_written_within_ten_minutes_of_its_payment_is_on_time() -> None:
    paid = at(1, 23, 59)

    assert not is_late(paid + timedelta(minutes=10), paid)
    assert is_late(paid + timedelta(minutes=10, seconds=1), paid)
    assert is_late(paid - timedelta(minutes=11), paid)  # a till's clock ahead
    assert not is_late(paid, None)  # not a sale: dated when written


def test_a_sale_counts_at_its_payment_and_anything_else_when_written() -> None:
    assert dated_at(at(2, 0, 1), at(1, 23, 59)) == at(1, 23, 59)
    assert dated_at(at(2, 0, 1), None) == at(2, 0, 1)


def test_the_settling_while_leaves_room_for_an_on_time_sale_and_its_transaction() -> None:
    assert LATE_AFTER * 2 < SETTLED_AFTER


def test_the_last_settled_day_ended_an_hour_ago_or_more() -> None:
    assert last_settled_day(at(30, 0, 59)) == date(2026, 11, 28)
    assert last_settled_day(at(30, 1)) == date(2026, 11, 29)


def test_the_unsummed_parts_of_a_period_are_its_edges_and_days_not_summed_merged() -> None:
    split = split_period(at(1, 15), at(8, 6), NOW)  # whole days 2 to 7

    ranges = unsummed_ranges(split, {date(2026, 11, d) for d in (3, 4, 6)})

    assert ranges == [(at(1, 15), at(3)), (at(5), at(6)), (at(7), at(8, 6))]
    assert unsummed_ranges(split, set(split.days)) == split.edges


def test_on_time_movements_of_a_span_were_written_ten_minutes_either_side_within_the_calendar() -> (
    None
):
    assert written_within(at(1), at(2)) == (at(1) - LATE_AFTER, at(2) + LATE_AFTER)
    first = datetime(1, 1, 1, tzinfo=UTC)
    last = datetime.max.replace(tzinfo=UTC)
    assert written_within(first, at(2))[0] == first
    assert written_within(at(1), last - timedelta(minutes=1))[1] == last
