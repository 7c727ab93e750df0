"""Manual writes, transfers and the moving-average cost: pure rules, no database."""

import uuid
from decimal import Decimal

import pytest

from app.domain.costs import moving_average
from app.domain.enums import MovementType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.manual_changes import adjustment_delta, count_delta, waste_delta
from app.domain.moves import StockKey
from app.domain.transfers import TransferLine, report_shortages, transfer_moves, transfer_totals


def test_an_adjustment_below_zero_is_refused_unless_allowed() -> None:
    with pytest.raises(DomainError) as raised:
        adjustment_delta(Decimal(2), Decimal(-3), change_from_quantity=None, allow_negative=False)

    assert raised.value.codes == [UserErrorCode.INSUFFICIENT_STOCK]
    assert adjustment_delta(
        Decimal(2), Decimal(-3), change_from_quantity=None, allow_negative=True
    ) == Decimal(-3)
    # Raising a stock that is already negative is always fine.
    assert adjustment_delta(
        Decimal(-5), Decimal(1), change_from_quantity=None, allow_negative=False
    ) == Decimal(1)


def test_an_adjustment_from_a_stale_quantity_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        adjustment_delta(
            Decimal(7), Decimal(1), change_from_quantity=Decimal(6), allow_negative=True
        )

    assert raised.value.codes == [UserErrorCode.CHANGE_FROM_QUANTITY_STALE]
    assert raised.value.problems[0].field == ("input", "changeFromQuantity")


def test_a_count_records_the_difference_and_waste_never_goes_below_zero() -> None:
    assert count_delta(Decimal("10.5"), Decimal(8)) == Decimal("-2.5")
    assert count_delta(Decimal(8), Decimal(8)) == 0
    assert waste_delta(Decimal(3), Decimal(3)) == Decimal(-3)
    with pytest.raises(DomainError) as raised:
        waste_delta(Decimal(3), Decimal("3.000001"))
    assert raised.value.problems[0].field == ("input", "quantity")


def test_a_transfer_sums_lines_per_material_and_names_every_short_line() -> None:
    milk, beans = uuid.uuid4(), uuid.uuid4()
    lines = [
        TransferLine(milk, Decimal(300)),
        TransferLine(beans, Decimal(1)),
        TransferLine(milk, Decimal(300)),
    ]
    problems = ProblemCollector()

    totals = transfer_totals(lines)
    report_shortages(problems, lines, totals, {milk: Decimal(500), beans: Decimal(1)})

    assert totals == {milk: Decimal(600), beans: Decimal(1)}
    assert [p.field for p in problems.problems] == [
        ("input", "lines", 0, "quantity"),
        ("input", "lines", 2, "quantity"),
    ]


def test_a_transfer_moves_each_total_out_of_the_source_into_the_destination() -> None:
    source, destination, milk = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    moves = transfer_moves(source, destination, uuid.uuid4(), {milk: Decimal(600)})

    assert [(m.key, m.type, m.delta_on_hand) for m in moves] == [
        (StockKey.material(source, milk), MovementType.TRANSFER_OUT, Decimal(-600)),
        (StockKey.material(destination, milk), MovementType.TRANSFER_IN, Decimal(600)),
    ]


def test_the_moving_average_restarts_after_zero_or_negative_stock() -> None:
    # (10 * 2 + 30) / (10 + 10) = 2.5
    assert moving_average(Decimal(10), Decimal(2), Decimal(10), Decimal(30)) == Decimal("2.5")
    assert moving_average(Decimal(-4), Decimal(2), Decimal(10), Decimal(30)) == Decimal(3)
    assert moving_average(Decimal(10), Decimal(2), Decimal(0), Decimal(0)) == Decimal(2)
    # One rounding point: 12 places (a cost per base unit keeps at least 10), half even.
    assert moving_average(Decimal(0), None, Decimal(3), Decimal(10)) == Decimal("3.333333333333")
