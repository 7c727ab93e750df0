"""Pure rules of provisional items: when the catalogue takes one over, what it deducts."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.domain.provisional_items import (
    ProvisionalSaleLine,
    catalogue_takes_over,
    sale_lines,
    sales_to_deduct,
    tracking_at_delete,
)

ORDER_A, ORDER_B = uuid.UUID(int=1), uuid.UUID(int=2)
FRONT, BACK = uuid.UUID(int=10), uuid.UUID(int=11)


def test_only_a_message_stating_tracking_takes_a_provisional_item_over() -> None:
    assert catalogue_takes_over(True, True)
    assert catalogue_takes_over(True, False)
    assert not catalogue_takes_over(True, None)
    assert not catalogue_takes_over(False, True)


def test_a_tracked_item_deducts_each_sale_order_once_per_location_and_an_untracked_none() -> None:
    recorded = [
        ProvisionalSaleLine(ORDER_B, FRONT, Decimal(1)),
        ProvisionalSaleLine(ORDER_A, BACK, Decimal("0.5")),
        ProvisionalSaleLine(ORDER_A, FRONT, Decimal(2)),
        ProvisionalSaleLine(ORDER_A, FRONT, Decimal(1)),
    ]

    assert sales_to_deduct(True, recorded) == [
        ProvisionalSaleLine(ORDER_A, FRONT, Decimal(3)),
        ProvisionalSaleLine(ORDER_A, BACK, Decimal("0.5")),
        ProvisionalSaleLine(ORDER_B, FRONT, Decimal(1)),
    ]
    assert sales_to_deduct(False, recorded) == []


def test_a_payment_listing_the_variant_twice_records_the_sum() -> None:
    assert sale_lines(ORDER_A, FRONT, [Decimal(2), Decimal("1.5")]) == ProvisionalSaleLine(
        ORDER_A, FRONT, Decimal("3.5")
    )


def test_a_delete_settles_by_the_tracking_it_states_and_as_untracked_when_unsaid() -> None:
    assert tracking_at_delete(True) is True
    assert tracking_at_delete(False) is False
    # A before-image without the column never asked for stock to move.
    assert tracking_at_delete(None) is False
    # Whatever it states, it settles: the takeover rule sees tracking stated.
    assert catalogue_takes_over(True, tracking_at_delete(None))
