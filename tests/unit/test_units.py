"""Unit conversion (app/domain/units.py): the contract's examples, chains, bridges, rounding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.units import (
    STANDARD_UNITS,
    OwnUnit,
    UnitBook,
    UnitDefinitionError,
    cost_per_base_unit,
    define_unit,
    factor_decimal,
    remove_unit,
    round_stored,
)

MILK = UnitBook(
    "ml", [OwnUnit("case", Decimal(12), "bottle"), OwnUnit("bottle", Decimal(750), "ml")]
)
HALF_ULP = Fraction(1, 2 * 10**6)


def test_970_kg_received_is_exactly_970000_g() -> None:
    flour = UnitBook("g")

    assert flour.to_base(Decimal(970), "kg") == Decimal(970000)


def test_three_receipts_of_4_bottles_are_exactly_one_case() -> None:
    received = sum((MILK.to_base(Decimal(4), "bottle") or Decimal(0)) for _ in range(3))

    assert received == MILK.to_base(Decimal(1), "case") == Decimal(9000)


def test_chains_resolve_whatever_order_they_were_defined_in() -> None:
    assert MILK.factor("case") == Fraction(9000)
    assert MILK.factor("l") == Fraction(1000)
    assert MILK.factor("floz") == Fraction(Decimal("29.5735295625"))


def test_names_match_case_insensitively_and_show_as_defined() -> None:
    assert MILK.to_base(Decimal(2), "CASE") == Decimal(18000)
    assert MILK.display_name("Bottle") == "bottle"
    assert MILK.display_name("ML") == "ml"
    assert MILK.display_name(None) == "ml"


def test_an_own_unit_bridges_dimensions() -> None:
    eggs = UnitBook("pcs", [OwnUnit("g", Decimal("0.02"), "pcs")])

    assert eggs.to_base(Decimal(100), "g") == Decimal(2)
    # Every mass unit converts through the bridge: 1 kg = 1000 g = 20 eggs.
    assert eggs.to_base(Decimal(1), "kg") == Decimal(20)
    assert eggs.factor("ml") is None


def test_units_of_another_dimension_do_not_convert() -> None:
    flour = UnitBook("g")

    assert flour.factor("ml") is None
    assert flour.to_base(Decimal(1), "bottle") is None
    assert flour.from_base(Decimal(1), "l") is None


def test_a_non_terminating_factor_converts_with_one_rounding() -> None:
    # 1 g in oz is 1/28.349523125: no finite decimal. 1000 g -> 35.27396194958... oz.
    in_oz = UnitBook("oz")

    assert in_oz.to_base(Decimal(1000), "g") == Decimal("35.273962")
    assert factor_decimal(in_oz.factor("g") or Fraction(0)) == Decimal("0.03527396194958041292")


def test_rounding_is_half_to_even_at_6_places() -> None:
    assert round_stored(Fraction(25, 10**7)) == Decimal("0.000002")
    assert round_stored(Fraction(35, 10**7)) == Decimal("0.000004")
    assert round_stored(Fraction(-25, 10**7)) == Decimal("-0.000002")


def test_shown_in_another_unit() -> None:
    assert MILK.from_base(Decimal(13500), "case") == Decimal("1.500000")
    assert MILK.from_base(Decimal(1000), "case") == Decimal("0.111111")


def test_cost_per_base_unit_is_the_entered_value_over_the_base_quantity() -> None:
    # 2 cases at 18.00 a case: 36.00 for 18000 ml.
    assert cost_per_base_unit(Decimal(2), Decimal("18.00"), Decimal(18000)) == Decimal(
        "0.002000000000"
    )
    # 3 bottles at 1.00: 3.00 / 2250 ml = 0.00133333333333...
    assert cost_per_base_unit(Decimal(3), Decimal(1), Decimal(2250)) == Decimal("0.001333333333")


def test_define_refuses_what_would_not_convert_or_contradict() -> None:
    flour = UnitBook("g")

    with pytest.raises(UnitDefinitionError) as mismatch:
        define_unit(flour, OwnUnit("jug", Decimal(1), "l"))
    assert mismatch.value.mismatch
    assert mismatch.value.field == "unit"
    with pytest.raises(UnitDefinitionError) as standard:
        define_unit(flour, OwnUnit("KG", Decimal(900), "g"))
    assert standard.value.field == "name"
    with pytest.raises(UnitDefinitionError) as base:
        define_unit(flour, OwnUnit("G", Decimal(1), "kg"))
    assert base.value.field == "name"
    with pytest.raises(UnitDefinitionError) as zero:
        define_unit(flour, OwnUnit("bag", Decimal(0), "kg"))
    assert zero.value.field == "quantity"


def test_a_chain_cannot_loop_back() -> None:
    with pytest.raises(UnitDefinitionError) as loop:
        define_unit(MILK, OwnUnit("bottle", Decimal("0.5"), "case"))

    assert loop.value.mismatch


def test_redefining_changes_later_conversions_only() -> None:
    bigger = define_unit(MILK, OwnUnit("Bottle", Decimal(1000), "ml"))

    assert bigger.to_base(Decimal(1), "case") == Decimal(12000)
    assert [u.name for u in bigger.own] == ["case", "Bottle"]
    assert MILK.to_base(Decimal(1), "case") == Decimal(9000)


def test_remove_refuses_a_unit_another_is_defined_by() -> None:
    with pytest.raises(UnitDefinitionError):
        remove_unit(MILK, "bottle")

    assert remove_unit(MILK, "CASE").factor("case") is None
    with pytest.raises(UnitDefinitionError):
        remove_unit(MILK, "crate")


def test_standard_factors_are_the_contracts() -> None:
    factors = {u.name: (u.dimension, u.factor, u.reference_unit) for u in STANDARD_UNITS}

    assert factors["oz"] == ("mass", Decimal("28.349523125"), "g")
    assert factors["gal"] == ("volume", Decimal("3785.411784"), "ml")
    assert factors["pcs"] == ("count", Decimal(1), "pcs")
    assert len(factors) == 17


quantities = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=6, allow_nan=False
)
unit_names = st.sampled_from(["case", "bottle", "ml", "l", "cl", "floz", "cup", "gal", "tsp"])


@given(st.lists(quantities, min_size=1, max_size=20), unit_names)
def test_each_conversion_is_one_rounding_of_the_exact_value(
    entered: list[Decimal], unit: str
) -> None:
    factor = MILK.factor(unit)
    assert factor is not None
    converted = [MILK.to_base(q, unit) for q in entered]

    for q, base in zip(entered, converted, strict=True):
        assert base is not None
        assert abs(Fraction(base) - Fraction(q) * factor) <= HALF_ULP
    # So summing converted quantities differs from converting the sum by no more than
    # one rounding per quantity and one for the sum: nothing accumulates beyond that.
    total = sum(Fraction(b or 0) for b in converted)
    of_sum = MILK.to_base(sum(entered, Decimal(0)), unit)
    assert of_sum is not None
    assert abs(total - Fraction(of_sum)) <= HALF_ULP * (len(entered) + 1)


@given(st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=20))
def test_exact_conversions_sum_exactly(bottles: list[int]) -> None:
    # Whenever the base quantities need no rounding, summing never drifts at all.
    converted = [MILK.to_base(Decimal(n), "bottle") for n in bottles]

    assert sum((c or Decimal(0)) for c in converted) == MILK.to_base(
        Decimal(sum(bottles)), "bottle"
    )


@given(quantities)
def test_the_base_unit_and_no_unit_keep_the_quantity_as_entered(q: Decimal) -> None:
    assert MILK.to_base(q, None) == q
    assert MILK.to_base(q, "ML") == q


def test_a_cost_per_case_is_a_cost_per_bottle_and_per_ml() -> None:
    assert MILK.convert_cost(Decimal("18"), "case", "bottle") == Decimal("1.500000000000")
    assert MILK.convert_cost(Decimal("18"), "case", None) == Decimal("0.002000000000")
    assert MILK.convert_cost(Decimal("18"), "Case", "CASE") == Decimal("18")
    assert MILK.convert_cost(Decimal("18"), "case", "kg") is None
