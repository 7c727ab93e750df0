"""PAYMENT_SUCCESS → deduct tracked product stock, reserve recipe materials.

One transaction per payment, or per batch of payments (the consumer applies a
partition's fetched run at once). A paid sale is never refused: stock may go
negative, and the ledger flags it. Idempotent per (SALE_ORDER, saleOrderId, stockId).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db.driver import locked_transaction
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.services.context import Actor
from app.services.kitchen import sale_order_lock_key
from app.services.payment_plans import (
    BatchMemory,
    Joined,
    PaymentPlan,
    known_items,
    plan_payment,
)
from app.services.payment_reads import look_around
from app.services.stock_ledger import MoveResult, apply_move_steps, lock_merchant_stocks


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


@dataclass(frozen=True)
class PaymentOutcome:
    movements_applied: int
    # Movements this sale order already had: a re-delivery applies nothing new.
    duplicates: int
    # Inventory item ids created on the fly for variants the CDC had not brought yet.
    created_items: tuple[uuid.UUID, ...]
    # Stock ids this payment took below zero (on hand or available).
    went_negative: tuple[uuid.UUID, ...]
    # Kitchen effects that had arrived before the payment and were applied now.
    kitchen_effects_applied: int = 0


async def apply_payment(
    sessions: async_sessionmaker[AsyncSession],
    payment: PaymentSucceeded,
    *,
    actor_label: str = "consumer:payment.success",
) -> PaymentOutcome:
    """Deduct tracked product stock (SALE), then reserve materials (SALE_RESERVATION).

    Materials are item quantity * item recipe plus, per modifier, item quantity *
    modifier quantity * modifier recipe, summed per material over the whole payment;
    the per-unit snapshot is stored on the reservation movements. Unknown variants
    become (untracked) inventory items on the fly. Kitchen effects that arrived first
    are applied right after the reservation from the snapshot just taken, so every
    arrival order ends in the same stock. A sale order whose payment is already in the
    ledger changes nothing, even if recipes or tracking changed since. The location
    must be the merchant's, else NOT_FOUND (nothing written). A batch of one
    (`apply_payments`).
    """
    [outcome] = await apply_payments(sessions, [payment], actor_label=actor_label)
    return outcome


async def apply_payments(
    sessions: async_sessionmaker[AsyncSession],
    payments: Sequence[PaymentSucceeded],
    *,
    actor_label: str = "consumer:payment.success",
) -> list[PaymentOutcome]:
    """`apply_payment` for each of `payments`, in order, in ONE transaction.

    Each payment ends as if applied alone after the ones before it: a payment of a sale
    order that an earlier one of the batch paid is a re-delivery (its duplicates are
    that payment's movements), and kitchen effects are settled once. The batch costs a
    handful of round trips whatever its size: BEGIN with every sale order's lock (in
    one order, see `locked_transaction`); one read for all payments; the stock locks of
    all payments in one statement (global id order, so concurrent batches wait rather
    than deadlock); one write for every ledger row, stock update and outbox row;
    COMMIT. Any DomainError rolls the whole batch back: it names no payment, so a
    caller that must apply the others applies them one by one.
    """
    if not payments:
        return []
    for payment in payments:
        check_payment(payment)
    lock_keys = [sale_order_lock_key(p.merchant_id, p.sale_order_id) for p in payments]
    # A Connection, not an ORM Session: the batch's statements are Core, and the
    # session's machinery cost a fifth of a payment's CPU; the transaction begins with
    # the sale orders' locks in one round trip. The rarer reads and writes that take a
    # session get one bound to this connection, inside the transaction.
    async with (
        _engine(sessions).connect() as connection,
        locked_transaction(connection, lock_keys) as driver,
        Joined(connection) as joined,
    ):
        found = await look_around(
            driver,
            payments,
            [[i.product_variant_id for i in p.items] for p in payments],
            [[m.modifier_option_id for i in p.items for m in i.modifiers] for p in payments],
        )
        items, created = await known_items(joined, payments, found)
        memory = BatchMemory()
        plans = [
            await plan_payment(joined, payment, around, items[payment.merchant_id], memory)
            for payment, around in zip(payments, found, strict=True)
        ]
        stocks = await lock_merchant_stocks(
            driver,
            [
                (payment.merchant_id, move.key)
                for payment, plan in zip(payments, plans, strict=True)
                for step in plan.steps
                for move in step
            ],
        )
        actor = Actor(payments[0].merchant_id, actor_label)
        results = iter(
            await apply_move_steps(
                driver, actor, stocks, [step for plan in plans for step in plan.steps]
            )
        )
    return [
        _outcome(payment, plan, [next(results) for _ in plan.steps], created)
        for payment, plan in zip(payments, plans, strict=True)
    ]


def _outcome(
    payment: PaymentSucceeded,
    plan: PaymentPlan,
    results: Sequence[MoveResult],
    created: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID],
) -> PaymentOutcome:
    applied = [a for r in results for a in r.applied]
    negative = {a.stock.id for a in applied if a.movement.went_negative}
    # Each created item counts for the first payment that sold it.
    mine = [
        created.pop(key)
        for key in dict.fromkeys((payment.merchant_id, i.product_variant_id) for i in payment.items)
        if key in created
    ]
    return PaymentOutcome(
        movements_applied=len(applied),
        duplicates=plan.recorded + sum(len(r.duplicates) for r in results),
        created_items=tuple(mine),
        went_negative=tuple(sorted(negative)),
        kitchen_effects_applied=plan.kitchen_effects,
    )


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


def _positive(problems: ProblemCollector, quantity: Decimal, field: tuple[str | int, ...]) -> None:
    try:
        require_positive(quantity, field)
    except DomainError as error:
        problems.problems.extend(error.problems)


def _engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("apply_payment needs a session factory bound to an AsyncEngine")
    return bind
