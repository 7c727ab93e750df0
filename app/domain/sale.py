"""A paid sale: what it is, its own rules, and what it deducts and reserves.

A paid sale is never refused for want of stock: it deducts each tracked product's
stock (SALE) and reserves its recipe materials (SALE_RESERVATION, see
`sale_snapshot`), both summed per stock, and the ledger flags what went negative.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.moves import Move, StockKey
from app.domain.quantities import require_positive

if TYPE_CHECKING:  # sale_snapshot reads this module's SaleItem
    from app.domain.sale_snapshot import SaleSnapshot


@dataclass(frozen=True)
class SaleModifier:
    modifier_option_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class SaleItem:
    sale_order_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    quantity: Decimal
    modifiers: tuple[SaleModifier, ...] = ()


@dataclass(frozen=True)
class PaymentSucceeded:
    event_id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    sale_order_id: uuid.UUID
    items: tuple[SaleItem, ...]
    occurred_at: datetime
    payment_id: str | None = None
    # The consumed message's (else the caller's current one): its events carry it.
    request_id: str | None = None


@dataclass(frozen=True)
class SoldProduct:
    """The inventory item a sold product variant is, and whether selling it deducts stock."""

    id: uuid.UUID
    track_inventory: bool
    # Created by a payment before the catalogue described it: its sales are recorded, not
    # deducted, until the catalogue says whether it is tracked (provisional_items.py).
    provisional: bool = False


def check_payment(payment: PaymentSucceeded) -> None:
    """The payment's own rules, before any read: positive quantities, each sale order
    item listed once (DomainError with every problem otherwise)."""
    problems = ProblemCollector()
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(payment.items):
        _positive(problems, item.quantity, ("items", i, "quantity"))
        for j, modifier in enumerate(item.modifiers):
            _positive(problems, modifier.quantity, ("items", i, "modifiers", j, "quantity"))
        if item.sale_order_item_id in seen:
            problems.add(
                UserErrorCode.DUPLICATE,
                "sale order item listed twice",
                ("items", i, "saleOrderItemId"),
            )
        seen.add(item.sale_order_item_id)
    problems.raise_if_any()


def _positive(problems: ProblemCollector, quantity: Decimal, field: FieldPath) -> None:
    try:
        require_positive(quantity, field)
    except DomainError as error:
        problems.problems.extend(error.problems)


def sale_moves(payment: PaymentSucceeded, products: Mapping[uuid.UUID, SoldProduct]) -> list[Move]:
    """SALE: the quantity sold of each tracked product, summed per stock, off its on hand.

    `products` by product variant id; untracked products deduct nothing of their own.
    """
    totals: dict[StockKey, Decimal] = {}
    for sold in payment.items:
        product = products[sold.product_variant_id]
        if product.track_inventory:
            key = StockKey.product(payment.location_id, product.id)
            totals[key] = totals.get(key, Decimal(0)) + sold.quantity
    return [
        Move(
            key,
            MovementType.SALE,
            ReferenceType.SALE_ORDER,
            str(payment.sale_order_id),
            delta_on_hand=-quantity,
            sold_at=payment.occurred_at,
        )
        for key, quantity in sorted(totals.items())
    ]


def reservation_moves(payment: PaymentSucceeded, snapshot: SaleSnapshot) -> list[Move]:
    """SALE_RESERVATION: the snapshot's materials, summed per stock, onto reserved; each
    movement keeps its material's part of the snapshot."""
    return [
        Move(
            key,
            MovementType.SALE_RESERVATION,
            ReferenceType.SALE_ORDER,
            str(payment.sale_order_id),
            delta_reserved=quantity,
            recipe_snapshot=snapshot.movement_json(key),
            sold_at=payment.occurred_at,
        )
        for key, quantity in sorted(snapshot.reservations().items())
    ]
