"""Which whole days of a period can be read from the daily ledger totals, and what day
a movement counts in.

A movement counts at its `dated_at`: a sale's movements (SALE, SALE_RESERVATION, and
the KITCHEN_RELEASE of a cancelled item) at their payment's occurredAt (`sold_at`),
every other movement at when it was written (`occurred_at`). Most payments are written
seconds after they occurred ("on time": within `LATE_AFTER` either way); the others
(an offline till syncing hours later, a cancellation long after the payment, a till's
clock ahead) are "late" and never go into daily totals: a report reads them apart, by
their payment's time, whenever they commit (a small partial index holds only them).

The ledger is append-only and every movement is written at the time it carries, so a
UTC day that ended a while ago never changes again for on-time movements: its per-stock
totals can be summed once and kept. `SETTLED_AFTER` is the while: a movement's time is
taken before its transaction commits, and an on-time sale of the day can be written up
to `LATE_AFTER` after it, so a day is only settled once no transaction still open can
carry one of its on-time movements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

SETTLED_AFTER = timedelta(hours=1)
LATE_AFTER = timedelta(minutes=10)
DAY = timedelta(days=1)


def is_late(occurred_at: datetime, sold_at: datetime | None) -> bool:
    """A movement counted at its payment's time but written more than LATE_AFTER away
    from it (the SQL twin is app/db/models/stock.py's LATE_SALE_PREDICATE)."""
    return sold_at is not None and abs(occurred_at - sold_at) > LATE_AFTER


def written_within(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """When the on-time movements that count in [start, end) can have been written:
    LATE_AFTER either side (inclusive), kept inside the calendar."""
    earliest = datetime.min.replace(tzinfo=UTC)
    latest = datetime.max.replace(tzinfo=UTC)
    low = start - LATE_AFTER if start - earliest > LATE_AFTER else earliest
    high = end + LATE_AFTER if latest - end > LATE_AFTER else latest
    return low, high


def dated_at(occurred_at: datetime, sold_at: datetime | None) -> datetime:
    """When a movement counts in a report: its payment's time, else its own."""
    return occurred_at if sold_at is None else sold_at


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


def last_settled_day(now: datetime) -> date:
    """The last UTC day that ended SETTLED_AFTER or more before `now`."""
    return (now - SETTLED_AFTER).astimezone(UTC).date() - DAY


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


def unsummed_ranges(split: DaySplit, summed: set[date]) -> list[tuple[datetime, datetime]]:
    """The parts of the period a report reads from the movements themselves: its edges
    and the settled days not summed yet, adjacent ones merged, in time order."""
    ranges = sorted(
        [*split.edges, *((day_start(d), day_start(d) + DAY) for d in split.days if d not in summed)]
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in ranges:
        if merged and merged[-1][1] == a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged
