"""PAYMENT_SUCCESS → deduct tracked product stock, reserve recipe materials.

One transaction per payment, or per batch of payments (the consumer applies a
partition's fetched run at once). A paid sale is never refused: stock may go
negative, and the ledger flags it. Idempotent per (SALE_ORDER, saleOrderId, stockId).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from app.db.unit_of_work import UnitOfWork
from app.domain.sale import PaymentSucceeded, check_payment
from app.services.context import Actor
from app.services.provisional_items import hold_provisional_sales
from app.services.sales.plans import BatchMemory, PaymentPlan, known_items, plan_payment
from app.services.sales.reads import look_around
from app.services.sales.sale_order_lock import sale_order_lock_key
from app.services.stock_ledger import MoveResult, apply_move_steps, lock_merchant_stocks
from app.services.unmapped_sales import record_unmapped_sales


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
    uow: UnitOfWork,
    payment: PaymentSucceeded,
    *,
    actor_label: str = "consumer:payment.success",
) -> PaymentOutcome:
    """Deduct tracked product stock (SALE), then reserve materials (SALE_RESERVATION).

    Materials are item quantity * item recipe plus, per modifier, item quantity *
    modifier quantity * modifier recipe, summed per material over the whole payment;
    the per-unit snapshot is stored on the reservation movements. Unknown variants
    become provisional inventory items on the fly, whose sales are recorded and
    deducted when the catalogue first says they are tracked (provisional_items).
    Kitchen effects that arrived first are applied right after the reservation from
    the snapshot just taken, so every arrival order ends in the same stock. A sale
    order whose payment is already in the ledger changes nothing, even if recipes or
    tracking changed since. The location must be the merchant's, else NOT_FOUND
    (nothing written). A batch of one (`apply_payments`).
    """
    [outcome] = await apply_payments(uow, [payment], actor_label=actor_label)
    return outcome


async def apply_payments(
    uow: UnitOfWork,
    payments: Sequence[PaymentSucceeded],
    *,
    actor_label: str = "consumer:payment.success",
) -> list[PaymentOutcome]:
    """`apply_payment` for each of `payments`, in order, in ONE transaction.

    Each payment ends as if applied alone after the ones before it: a payment of a sale
    order that an earlier one of the batch paid is a re-delivery (its duplicates are
    that payment's movements), and kitchen effects are settled once. The batch costs a
    handful of round trips whatever its size: BEGIN with every sale order's lock (in
    one order, see `UnitOfWork.transaction`); one read for all payments; the stock locks
    of all payments in one statement (global id order, so concurrent batches wait rather
    than deadlock); one write for every ledger row, stock update and outbox row;
    COMMIT. Any DomainError rolls the whole batch back: it names no payment, so a
    caller that must apply the others applies them one by one.
    """
    if not payments:
        return []
    for payment in payments:
        check_payment(payment)
    lock_keys = [sale_order_lock_key(p.merchant_id, p.sale_order_id) for p in payments]
    async with uow.transaction(lock_keys=lock_keys) as session:
        found = await look_around(session, payments)
        items, created = await known_items(session, payments, found)
        await hold_provisional_sales(session, payments, items, actor_label)
        memory = BatchMemory()
        plans = [
            await plan_payment(session, payment, around, items[payment.merchant_id], memory)
            for payment, around in zip(payments, found, strict=True)
        ]
        stocks = await lock_merchant_stocks(
            session,
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
                session,
                actor,
                stocks,
                [step for plan in plans for step in plan.steps],
                request_ids=[
                    payment.request_id
                    for payment, plan in zip(payments, plans, strict=True)
                    for _ in plan.steps
                ],
            )
        )
        await record_unmapped_sales(session, [row for plan in plans for row in plan.unmapped])
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
