"""The return rules of app/domain/returns.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.errors import DomainError, UserErrorCode
from app.domain.returns import check_return, returnable

FIELD = ("input", "lines", 0, "quantity")


def test_what_is_left_is_sold_less_returned_never_below_zero() -> None:
    assert returnable(Decimal(3), Decimal(1)) == Decimal(2)
    assert returnable(Decimal(1), Decimal(2)) == Decimal(0)


def test_up_to_what_is_left_is_fine() -> None:
    check_return(Decimal(2), tracked=True, sold=Decimal(3), returned=Decimal(1), field=FIELD)


def test_more_than_left_is_invalid_saying_how_much_is_left() -> None:
    with pytest.raises(DomainError) as raised:
        check_return(
            Decimal("2.5"), tracked=True, sold=Decimal(3), returned=Decimal(1), field=FIELD
        )
    [problem] = raised.value.problems
    assert (problem.code, problem.field) == (UserErrorCode.INVALID, FIELD)
    assert problem.message.startswith("only 2 left to return")


def test_an_untracked_product_is_invalid() -> None:
    with pytest.raises(DomainError) as raised:
        check_return(Decimal(1), tracked=False, sold=Decimal(3), returned=Decimal(0), field=FIELD)
    assert raised.value.codes == [UserErrorCode.INVALID]
