"""Prep item rules (app/domain/prep.py): cycles, scaling, producible, production cost."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.domain.prep import (
    batches,
    makes_a_cycle,
    producible,
    production_value,
    scaled_quantity,
)

SAUCE, CARAMEL, SUGAR, CREAM = (uuid.uuid4() for _ in range(4))


def test_a_recipe_using_the_item_itself_is_a_cycle() -> None:
    assert makes_a_cycle({}, SAUCE, [SUGAR, SAUCE])


def test_a_cycle_through_another_prep_item() -> None:
    # Caramel uses sauce; giving sauce a recipe with caramel closes the loop.
    uses = {CARAMEL: {SUGAR, SAUCE}}

    assert makes_a_cycle(uses, SAUCE, [CREAM, CARAMEL])
    assert not makes_a_cycle(uses, CARAMEL, [SUGAR, CREAM])
    assert not makes_a_cycle(uses, SAUCE, [SUGAR, CREAM])


def test_the_items_own_old_recipe_does_not_count() -> None:
    assert not makes_a_cycle({SAUCE: {CARAMEL}}, SAUCE, [SUGAR])


def test_scaling_rounds_once_half_to_even() -> None:
    # 1 batch: 100 g coffee -> 1000 ml cold brew. 1500 ml made uses 150 g.
    assert scaled_quantity(Decimal(100), Decimal(1500), Decimal(1000)) == Decimal(150)
    # 1000 ml made with a 3000 ml batch of 100 g: 33.3333333… -> 33.333333.
    assert scaled_quantity(Decimal(100), Decimal(1000), Decimal(3000)) == Decimal("33.333333")
    assert batches(Decimal(1000), Decimal(3000)) == Decimal("0.333333")


def test_producible_is_the_scarcest_ingredient_scaled_to_any_fraction() -> None:
    # Per batch of 1000 ml: 100 g coffee, 1000 ml water. 250 g coffee and plenty of water.
    made = producible(
        Decimal(1000), [(Decimal(250), Decimal(100)), (Decimal(50000), Decimal(1000))]
    )

    assert made == Decimal(2500)
    assert producible(Decimal(1000), [(None, Decimal(100))]) == Decimal(0)
    assert producible(Decimal(1000), [(Decimal(-5), Decimal(100))]) == Decimal(0)
    assert producible(Decimal(1000), []) == Decimal(0)


def test_production_value_counts_costed_ingredients() -> None:
    assert production_value([(Decimal(150), Decimal("0.02")), (Decimal(1500), None)]) == Decimal(3)
    assert production_value([(Decimal(150), None)]) is None


@given(
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10000), places=6),
    st.integers(min_value=1, max_value=50),
)
def test_n_equal_productions_consume_what_one_production_of_their_sum_would(
    per_batch: Decimal, n: int
) -> None:
    # Yield 1000: every produced quantity below is a whole number of batches, so the
    # scaled quantities need no rounding and add up exactly.
    one = scaled_quantity(per_batch, Decimal(1000), Decimal(1000))

    assert one * n == scaled_quantity(per_batch, Decimal(1000 * n), Decimal(1000))
