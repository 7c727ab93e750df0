"""Usage and variance of a stock over a period [from, to): the contract's formulas.

actualUsage      = opening + received + adjustedIn + transferredIn + produced
                   - transferredOut - closing
theoreticalUsage = sold - returned (products: units sold net of restocked returns)
                   + reservedBySales - releasedByCancellations (materials: the recipe
                   snapshots' quantities of the period's sales, less kitchen items
                   cancelled before being made)
                   + byProductions (materials: prep recipes scaled to the productions)
variance         = actualUsage - theoreticalUsage
unexplained      = variance - wasted
variancePercent  = variance / theoreticalUsage x 100, half to even to 2 places (the one
                   rounding); None when theoreticalUsage is 0
Values are quantity x unit cost, exact (NUMERIC products: no rounding), None without a
cost. A report's totals are the sums of its lines' values (None when no line has one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TypeVar

ZERO = Decimal(0)
PERCENT_PLACES = Decimal("0.01")
K = TypeVar("K")
# A report reads and settles the ledger day by day: a year (a leap one) is the longest
# period it is asked for, and a bound keeps a request from making millions of days.
MAX_PERIOD = timedelta(days=366)


def period_problem(start: datetime, end: datetime) -> str | None:
    """Why [start, end) is no period to report on, or None."""
    if end <= start:
        return "to must be after from"
    if end - start > MAX_PERIOD:
        return f"a report covers at most {MAX_PERIOD.days} days"
    return None


@dataclass(frozen=True)
class PeriodMovements:
    """A stock's ledger over the period, each as a positive quantity (what its name says)."""

    opening: Decimal = ZERO
    closing: Decimal = ZERO
    received: Decimal = ZERO
    transferred_in: Decimal = ZERO
    transferred_out: Decimal = ZERO
    produced: Decimal = ZERO
    adjusted_in: Decimal = ZERO
    returned: Decimal = ZERO
    wasted: Decimal = ZERO
    sold: Decimal = ZERO
    reserved_by_sales: Decimal = ZERO
    released_by_cancellations: Decimal = ZERO
    by_productions: Decimal = ZERO


@dataclass(frozen=True)
class Usage:
    period: PeriodMovements
    actual_usage: Decimal
    theoretical_usage: Decimal
    variance: Decimal
    unexplained: Decimal
    variance_percent: Decimal | None
    unit_cost: Decimal | None

    @property
    def actual_usage_value(self) -> Decimal | None:
        return value(self.actual_usage, self.unit_cost)

    @property
    def theoretical_usage_value(self) -> Decimal | None:
        return value(self.theoretical_usage, self.unit_cost)

    @property
    def variance_value(self) -> Decimal | None:
        return value(self.variance, self.unit_cost)

    @property
    def wasted_value(self) -> Decimal | None:
        return value(self.period.wasted, self.unit_cost)


def actual_usage(p: PeriodMovements) -> Decimal:
    """What left the stock: what it had and got, less what it still has and sent away.
    Negative adjustments, counts, waste, kitchen consumption and productions' ingredients
    stay inside; a restocked return is already in closing, so usage is net of returns."""
    return (
        p.opening
        + p.received
        + p.adjusted_in
        + p.transferred_in
        + p.produced
        - p.transferred_out
        - p.closing
    )


def theoretical_usage(p: PeriodMovements) -> Decimal:
    return (
        p.sold - p.returned + p.reserved_by_sales - p.released_by_cancellations + p.by_productions
    )


def variance_percent(variance: Decimal, theoretical: Decimal) -> Decimal | None:
    if theoretical == 0:
        return None
    return (variance / theoretical * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)


def value(quantity: Decimal, unit_cost: Decimal | None) -> Decimal | None:
    return None if unit_cost is None else quantity * unit_cost


def usage(p: PeriodMovements, unit_cost: Decimal | None) -> Usage:
    actual = actual_usage(p)
    theoretical = theoretical_usage(p)
    varies = actual - theoretical
    return Usage(
        period=p,
        actual_usage=actual,
        theoretical_usage=theoretical,
        variance=varies,
        unexplained=varies - p.wasted,
        variance_percent=variance_percent(varies, theoretical),
        unit_cost=unit_cost,
    )


def total(values: Iterable[Decimal | None]) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, ZERO) if known else None


def by_variance_value(lines: Sequence[tuple[K, Usage]]) -> list[tuple[K, Usage]]:
    """Largest absolute variance value first; lines without a cost after those with one,
    by absolute variance; ties by key, so pages are stable."""

    def order(line: tuple[K, Usage]) -> tuple[int, Decimal, str]:
        key, u = line
        valued = u.variance_value
        if valued is None:
            return (1, -abs(u.variance), str(key))
        return (0, -abs(valued), str(key))

    return sorted(lines, key=order)
