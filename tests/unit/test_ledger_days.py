"""Splitting a period into settled whole days and edges (app/domain/ledger_days.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.ledger_days import split_period

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
