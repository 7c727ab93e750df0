"""Which whole days of a period can be read from the daily ledger totals.

The ledger is append-only and every movement is written at the time it carries, so a
UTC day that ended a while ago never changes again: its per-stock totals can be summed
once and kept. `SETTLED_AFTER` is the while: a movement's time is taken before its
transaction commits, so a day is only settled once no transaction still open can
carry one of its times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

SETTLED_AFTER = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DaySplit:
    """[start, end) as whole settled days [first, last] and the edges around them."""

    first: date | None
    last: date | None
    edges: list[tuple[datetime, datetime]]

    @property
    def days(self) -> list[date]:
        if self.first is None or self.last is None:
            return []
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def split_period(start: datetime, end: datetime, now: datetime) -> DaySplit:
    """The settled UTC days wholly inside [start, end), and the parts of the period
    before and after them (the whole period when there is no such day)."""
    whole = DaySplit(None, None, [(start, end)] if start < end else [])
    first = start.astimezone(UTC).date()
    if day_start(first) < start:
        if first == date.max:  # no whole day after the calendar's last
            return whole
        first += DAY
    settled_end = min(end, now - SETTLED_AFTER).astimezone(UTC).date()
    if settled_end == date.min:  # no day can have ended before the calendar's first
        return whole
    last = settled_end - DAY  # the last day that ended by then
    if last < first:
        return whole
    edges = []
    if start < day_start(first):
        edges.append((start, day_start(first)))
    if day_start(last) + DAY < end:
        edges.append((day_start(last) + DAY, end))
    return DaySplit(first, last, edges)
