"""Reorder rules: PAR and USAGE suggestions and pack rounding, numbers worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from app.domain.reorder import (
    ReorderMethod,
    StockPosition,
    average_daily_usage,
    days_of_cover,
    suggest,
)

PAR, USAGE = ReorderMethod.PAR, ReorderMethod.USAGE


def _stock(
    available: str = "0",
    incoming: str = "0",
    par: str | None = None,
    point: str | None = None,
    usage: str = "0",
) -> StockPosition:
    return StockPosition(
        available=D(available),
        incoming=D(incoming),
        par_level=None if par is None else D(par),
        reorder_point=None if point is None else D(point),
        usage=D(usage),
    )


def _par(stock: StockPosition, pack: str | None = None) -> D | None:
    found = suggest(
        PAR, stock, lookback_days=28, cover_days=7, pack_size=None if pack is None else D(pack)
    )
    return None if found is None else found.quantity


def test_par_without_reorder_point_orders_whatever_is_below_par() -> None:
    # par 20, available 5 + incoming 3 = 8 below 20: 20 - 8 = 12
    assert _par(_stock("5", "3", par="20")) == D("12")
    # at par exactly: nothing
    assert _par(_stock("15", "5", par="20")) is None


def test_par_with_a_reorder_point_waits_until_the_point_is_reached() -> None:
    # position 11 above the point 10: nothing yet, though below par
    assert _par(_stock("11", par="20", point="10")) is None
    # position 10 at the point: 20 - 10 = 10
    assert _par(_stock("10", par="20", point="10")) == D("10")
    # incoming counts: 4 available + 8 incoming = 12 above the point
    assert _par(_stock("4", "8", par="20", point="10")) is None


def test_par_needs_a_par_level() -> None:
    assert _par(_stock("0", point="10")) is None


def test_negative_available_is_ordered_back_up_to_par() -> None:
    # -2 available: 20 - (-2) = 22
    assert _par(_stock("-2", par="20")) == D("22")


def test_packs_round_up_to_whole_packs() -> None:
    # 13 l needed in cases of 12 l: 2 cases = 24 l
    found = suggest(PAR, _stock("7", par="20"), lookback_days=28, cover_days=7, pack_size=D("12"))
    assert found is not None
    assert (found.quantity, found.packs) == (D("24"), D("2"))
    # exactly one pack needed: 1 pack, not 2
    found = suggest(PAR, _stock("8", par="20"), lookback_days=28, cover_days=7, pack_size=D("12"))
    assert found is not None
    assert (found.quantity, found.packs) == (D("12"), D("1"))


def test_usage_covers_the_days_at_the_average_daily_usage() -> None:
    # 56 used over 28 days: 2 a day; 7 days of cover = 14; position 5 + 3 = 8: order 6
    stock = _stock("5", "3", usage="56")
    found = suggest(USAGE, stock, lookback_days=28, cover_days=7)
    assert found is not None
    assert found.quantity == D("6")
    assert average_daily_usage(D("56"), 28) == D("2")
    assert days_of_cover(D("5"), D("56"), 28) == D("2.50")


def test_usage_lists_nothing_that_lasts_the_cover_days() -> None:
    # 2 a day for 7 days = 14, position 14: lasts exactly 7 days, not fewer
    assert suggest(USAGE, _stock("14", usage="56"), lookback_days=28, cover_days=7) is None
    # no usage: nothing, whatever the stock
    assert suggest(USAGE, _stock("0", usage="0"), lookback_days=28, cover_days=7) is None
    assert days_of_cover(D("3"), D("0"), 28) is None


def test_usage_rounds_the_suggestion_up_once_and_the_daily_figure_half_to_even() -> None:
    # 10 used over 3 days for 1 day of cover: 10/3 = 3.333333... needed, ordered 3.333334
    found = suggest(USAGE, _stock("0", usage="10"), lookback_days=3, cover_days=1)
    assert found is not None
    assert found.quantity == D("3.333334")
    assert average_daily_usage(D("10"), 3) == D("3.333333")
    # 1 used over 7 days, 6 on hand: 6 / (1/7) = 42 days of cover
    assert days_of_cover(D("6"), D("1"), 7) == D("42.00")


def test_usage_in_packs() -> None:
    # 30 used over 10 days, 7 days of cover = 21, position 0: 21 -> 2 packs of 12 = 24
    found = suggest(USAGE, _stock(usage="30"), lookback_days=10, cover_days=7, pack_size=D("12"))
    assert found is not None
    assert (found.quantity, found.packs) == (D("24"), D("2"))


def test_usage_is_what_left_the_shelf_not_what_came_in_or_moved_away() -> None:
    from app.domain.enums import MovementType as M
    from app.domain.reorder import is_usage

    assert is_usage(M.SALE, D("-1"))
    assert is_usage(M.KITCHEN_CONSUMPTION, D("-1"))
    assert is_usage(M.WASTE, D("-1"))
    assert is_usage(M.COUNT, D("2"))  # a count up makes usage smaller
    assert is_usage(M.ADJUSTMENT, D("-3"))
    assert is_usage(M.PRODUCTION_CONSUMPTION, D("-1"))
    assert not is_usage(M.ADJUSTMENT, D("3"))  # a restock by hand
    assert not is_usage(M.PURCHASE_RECEIPT, D("10"))
    assert not is_usage(M.TRANSFER_IN, D("10"))
    assert not is_usage(M.TRANSFER_OUT, D("-10"))
    assert not is_usage(M.PRODUCTION_OUTPUT, D("2"))


def test_the_flow_read_takes_exactly_what_is_not_usage() -> None:
    from app.domain.enums import MovementType as M
    from app.domain.reorder import FLOW_CANDIDATES, is_usage

    for movement_type in M:
        for delta in (D("-2"), D("0"), D("2")):
            flow = movement_type in FLOW_CANDIDATES and (
                movement_type is not M.ADJUSTMENT or delta > 0
            )
            assert is_usage(movement_type, delta) is not flow


@given(
    usage=st.decimals(min_value=D("0.000001"), max_value=D("1000000"), places=6),
    position=st.decimals(min_value=D("-1000"), max_value=D("1000000"), places=6),
    lookback=st.integers(min_value=1, max_value=366),
    cover=st.integers(min_value=0, max_value=366),
    pack=st.one_of(st.none(), st.decimals(min_value=D("0.5"), max_value=D("100"), places=3)),
)
def test_usage_suggestions_round_as_exact_fractions_would(
    usage: D, position: D, lookback: int, cover: int, pack: D | None
) -> None:
    import math
    from fractions import Fraction

    stock = StockPosition(position, D(0), None, None, usage)
    found = suggest(USAGE, stock, lookback_days=lookback, cover_days=cover, pack_size=pack)

    exact = Fraction(usage) * cover / lookback
    cover_up = Fraction(math.ceil(exact * 10**6), 10**6)
    wanted = cover_up - Fraction(position)
    if wanted <= 0:
        assert found is None
        return
    assert found is not None
    if pack is None:
        assert Fraction(found.quantity) == wanted
    else:
        packs = math.ceil(wanted / Fraction(pack))
        assert (found.packs, Fraction(found.quantity)) == (D(packs), packs * Fraction(pack))
    assert Fraction(average_daily_usage(usage, lookback)) == Fraction(
        round(Fraction(usage) / lookback * 10**6), 10**6
    )
