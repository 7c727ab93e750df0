"""Receiving a purchase order: stock up, cost, vendor snapshot, payments, one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import MovementType, PurchaseOrderStatus, ReferenceType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.domain.text import refuse_nul
from app.outbox.purchase_events import (
    Receipt,
    ReceivedLine,
    ReceivedPayment,
    purchase_order_received_event,
)
from app.outbox.writer import enqueue
from app.services import idempotency
from app.services.average_costs import (
    CostedReceipt,
    fold_receipt_into_average_costs,
    record_cost_changes,
)
from app.services.backorders import place_backorder
from app.services.context import Actor
from app.services.purchase_order_lines import check_quantity
from app.services.purchase_orders import PurchaseOrderResult, lock_purchase_order
from app.services.receipt_lines import (
    ReceiveLineInput,
    check_receive_lines,
    load_order,
    received_lines,
    vendor_snapshot,
)
from app.services.stock_ledger import Move, MoveResult, StockKey, apply_moves, lock_stocks

RECEIVE_OPERATION = "purchaseOrderReceive"


@dataclass(frozen=True)
class PaymentInput:
    method: str
    amount: Decimal
    paid_at: datetime | None = None
    reference: str | None = None


def _check_payments(problems: ProblemCollector, payments: Sequence[PaymentInput]) -> None:
    for i, payment in enumerate(payments):
        field = ("input", "payments", i)
        refuse_nul(
            problems, {(*field, "method"): payment.method, (*field, "reference"): payment.reference}
        )
        if not payment.method.strip():
            problems.add(UserErrorCode.REQUIRED, "method is required", (*field, "method"))
        check_quantity(problems, require_positive, payment.amount, (*field, "amount"))
        if payment.paid_at is not None and payment.paid_at.utcoffset() is None:
            problems.add(UserErrorCode.INVALID, "needs a time zone", (*field, "paidAt"))


async def receive_purchase_order(
    uow: UnitOfWork,
    actor: Actor,
    purchase_order_id: uuid.UUID,
    *,
    lines: Sequence[ReceiveLineInput] | None = None,
    payments: Sequence[PaymentInput] = (),
    backorder: bool = False,
    idempotency_key: str | None = None,
) -> PurchaseOrderResult:
    """Receive an ORDERED purchase order, all of it in one transaction, once.

    The order row is locked first, so of two concurrent receipts one waits and then
    finds it RECEIVED (INVALID_STATE on ("id",)); the same idempotency key returns
    the first result instead. A DRAFT must be submitted first (INVALID_STATE). Without
    `lines` (or with none) everything is received as ordered; with lines, unlisted
    lines are received as 0 and a line's unit cost may be corrected. Stock goes up
    (PURCHASE_RECEIPT, POREC/<po id>), the items' moving-average cost is updated and
    kept as of the receipt, the vendor is snapshotted onto the order, and
    `purchase-order.received` is staged only when the receipt carries payments. Lines
    received short are closed short, or with `backorder` the rest goes on a new
    ORDERED purchase order (same vendor, location and currency) received on its own:
    finance deduplicates that event by purchase order, so each is received once.
    """
    request = {
        "purchaseOrderId": purchase_order_id,
        "backorder": backorder,
        "lines": [[i.line_id, i.quantity_received, i.unit_cost, i.unit] for i in lines or ()],
        "payments": [[p.method, p.amount, p.paid_at, p.reference] for p in payments],
    }
    problems = ProblemCollector()
    _check_payments(problems, payments)
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        if idempotency_key is not None:
            stored = await idempotency.claim(
                session, merchant_id, idempotency_key, RECEIVE_OPERATION, request
            )
            if stored is not None:
                return PurchaseOrderResult(uuid.UUID(stored["purchaseOrderId"]))
        status = await lock_purchase_order(session, merchant_id, purchase_order_id)
        if status is not PurchaseOrderStatus.ORDERED:
            raise DomainError.one(
                UserErrorCode.INVALID_STATE,
                f"a {status.value} purchase order cannot be received"
                + (": submit it first" if status is PurchaseOrderStatus.DRAFT else ""),
                ("id",),
            )
        order, rows = await load_order(session, merchant_id, purchase_order_id)
        check_receive_lines(problems, lines or (), {row.id for row in rows})
        received = received_lines(rows, lines, problems)
        problems.raise_if_any()

        costs = await fold_receipt_into_average_costs(
            session,
            merchant_id,
            [
                CostedReceipt(line.item_type, line.item_id, line.base_quantity_received, line.total)
                for line in received
            ],
        )
        moved = await _stock_up(session, actor, purchase_order_id, order.location_id, received)
        await record_cost_changes(
            session, merchant_id, costs, moved, ReferenceType.POREC, str(purchase_order_id)
        )
        await _record_lines(session, received)
        if backorder:
            await place_backorder(session, actor, purchase_order_id, order, rows, received)
        receipt = Receipt(
            merchant_id=merchant_id,
            location_id=order.location_id,
            purchase_order_id=purchase_order_id,
            number=order.number,
            currency=order.currency,
            vendor=vendor_snapshot(order),
            received_at=utcnow(),
            received_by=actor.label,
            lines=received,
            payments=await _record_payments(session, merchant_id, purchase_order_id, payments),
        )
        await session.execute(
            update(t.purchase_order)
            .where(t.purchase_order.c.id == purchase_order_id)
            .values(
                status=PurchaseOrderStatus.RECEIVED,
                vendor_snapshot=receipt.vendor,
                received_at=receipt.received_at,
                received_by=receipt.received_by,
                updated_at=receipt.received_at,
            )
        )
        if receipt.payments:
            await enqueue(
                session,
                merchant_id,
                [purchase_order_received_event(receipt)],
                request_id=actor.request_id,
            )
        if idempotency_key is not None:
            await idempotency.remember(
                session, merchant_id, idempotency_key, {"purchaseOrderId": purchase_order_id}
            )
    return PurchaseOrderResult(purchase_order_id)


async def _stock_up(
    session: AsyncSession,
    actor: Actor,
    purchase_order_id: uuid.UUID,
    location_id: uuid.UUID,
    received: Sequence[ReceivedLine],
) -> MoveResult:
    """One PURCHASE_RECEIPT per stock: lines of the same item are summed (one ledger key)."""
    quantities: dict[StockKey, Decimal] = {}
    entered: dict[StockKey, list[ReceivedLine]] = {}
    for line in received:
        if line.base_quantity_received <= 0:
            continue
        key = StockKey(location_id, line.item_type, line.item_id)
        quantities[key] = quantities.get(key, Decimal(0)) + line.base_quantity_received
        entered.setdefault(key, []).append(line)
    if not quantities:
        return MoveResult()
    stocks = await lock_stocks(session, actor.merchant_id, quantities)
    moves = [
        Move(
            key,
            MovementType.PURCHASE_RECEIPT,
            ReferenceType.POREC,
            str(purchase_order_id),
            delta_on_hand=quantity,
            **_entered_of(entered[key]),
        )
        for key, quantity in quantities.items()
    ]
    return await apply_moves(session, actor, stocks, moves)


def _entered_of(lines: Sequence[ReceivedLine]) -> dict[str, Any]:
    """A stock received by one line in another unit keeps what was entered on its movement."""
    if len(lines) != 1 or lines[0].typed_unit is None:
        return {}
    return {"entered_quantity": lines[0].typed_quantity, "entered_unit": lines[0].typed_unit}


async def _record_lines(session: AsyncSession, received: Sequence[ReceivedLine]) -> None:
    """Each line's received quantity and unit cost, in its base unit and as entered (in
    the line's unit, which a receipt in another unit does not change)."""
    await session.execute(
        update(t.purchase_order_line)
        .where(t.purchase_order_line.c.id == bindparam("line_id"))
        .values(
            quantity_received=bindparam("quantity"),
            unit_cost=bindparam("cost"),
            entered_quantity_received=bindparam("entered_quantity"),
            entered_unit_cost=bindparam("entered_cost"),
        ),
        [
            {
                "line_id": line.line_id,
                "quantity": line.base_quantity_received,
                "cost": line.base_unit_cost,
                "entered_quantity": None if line.in_base_unit else line.quantity_received,
                "entered_cost": None if line.in_base_unit else line.unit_cost,
            }
            for line in received
        ],
    )


async def _record_payments(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    purchase_order_id: uuid.UUID,
    payments: Sequence[PaymentInput],
) -> list[ReceivedPayment]:
    recorded = [
        ReceivedPayment(
            payment_id=uuid7(),
            method=p.method.strip(),
            amount=p.amount,
            paid_at=p.paid_at,
            reference=(p.reference or "").strip() or None,
        )
        for p in payments
    ]
    if recorded:
        await session.execute(
            insert(t.purchase_order_payment),
            [
                {
                    "id": p.payment_id,
                    "merchant_id": merchant_id,
                    "purchase_order_id": purchase_order_id,
                    "method": p.method,
                    "amount": p.amount,
                    "paid_at": p.paid_at,
                    "reference": p.reference,
                }
                for p in recorded
            ],
        )
    return recorded


__all__ = ["PaymentInput", "ReceiveLineInput", "receive_purchase_order"]
