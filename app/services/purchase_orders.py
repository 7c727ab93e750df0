"""Purchase orders: placing one with a vendor (ORDERED, or a DRAFT to edit and submit
later), and cancelling it before receipt.

Drafts are edited in `purchase_order_drafts.py`, receiving lives in
`purchase_receipts.py`, the lines' checks and conversion in `purchase_order_lines.py`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Integer, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.queries.purchase_orders import purchase_currency
from app.db.unit_of_work import UnitOfWork
from app.domain.costs import purchase_currency_problem
from app.domain.enums import PurchaseOrderStatus
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.text import refuse_nul
from app.services import idempotency
from app.services.context import Actor
from app.services.purchase_order_lines import (
    PurchaseOrderLineInput,
    check_exists,
    check_line_items,
    check_lines,
    check_quantity,
    insert_lines,
)

CREATE_OPERATION = "purchaseOrderCreate"
OPEN_STATUSES = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.ORDERED)
CREATED_STATUSES = OPEN_STATUSES
CURRENCY_SHAPE = re.compile(r"^[A-Z]{3}$")
NUMBER_PREFIX = "PO-"
# Generated numbers are PO- and digits; numbers given by users may look the same.
GENERATED_NUMBER = r"^PO-[0-9]{1,15}$"


@dataclass(frozen=True)
class PurchaseOrderResult:
    purchase_order_id: uuid.UUID


async def next_number(session: AsyncSession, merchant_id: uuid.UUID) -> str:
    """The next PO-nnnnnn of this merchant: one past the highest number of that shape.
    The caller holds `lock_numbering`."""
    highest = (
        await session.execute(
            select(func.max(cast(func.substr(t.purchase_order.c.number, 4), Integer))).where(
                t.purchase_order.c.merchant_id == merchant_id,
                t.purchase_order.c.number.regexp_match(GENERATED_NUMBER),
            )
        )
    ).scalar_one()
    return f"{NUMBER_PREFIX}{(highest or 0) + 1:06d}"


async def lock_numbering(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    """Serialize numbering (and the first order's currency) per merchant, so two creates
    never pick the same next number, nor two first orders two currencies."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"po-number:{merchant_id}", 0)))
    )


async def check_number_free(
    session: AsyncSession, problems: ProblemCollector, merchant_id: uuid.UUID, number: str
) -> None:
    """DUPLICATE on ("input", "number") when this merchant already uses the number."""
    taken = (
        await session.execute(
            select(t.purchase_order.c.id).where(
                t.purchase_order.c.merchant_id == merchant_id,
                t.purchase_order.c.number == number,
            )
        )
    ).first()
    if taken is not None:
        problems.add(
            UserErrorCode.DUPLICATE, f"number {number} is already used", ("input", "number")
        )


async def insert_order(
    session: AsyncSession,
    actor: Actor,
    *,
    number: str | None,
    status: PurchaseOrderStatus,
    location_id: uuid.UUID,
    vendor_id: uuid.UUID,
    currency: str,
    backorder_of_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write the order row (its number generated when None); the caller holds
    `lock_numbering` and has checked everything."""
    merchant_id = actor.merchant_id
    purchase_order_id = uuid7()
    now = utcnow()
    inserted = await session.execute(
        pg_insert(t.purchase_order)
        .values(
            id=purchase_order_id,
            merchant_id=merchant_id,
            number=number or await next_number(session, merchant_id),
            status=status,
            location_id=location_id,
            vendor_id=vendor_id,
            currency=currency,
            backorder_of_id=backorder_of_id,
            created_by=actor.label,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["merchant_id", "number"])
        .returning(t.purchase_order.c.id)
    )
    if inserted.first() is None:
        # Only a writer that bypasses the numbering lock can get here.
        raise DomainError.one(
            UserErrorCode.DUPLICATE, "number is already used", ("input", "number")
        )
    return purchase_order_id


async def create_purchase_order(
    uow: UnitOfWork,
    actor: Actor,
    *,
    location_id: uuid.UUID,
    vendor_id: uuid.UUID,
    currency: str,
    lines: Sequence[PurchaseOrderLineInput],
    number: str | None = None,
    status: PurchaseOrderStatus = PurchaseOrderStatus.ORDERED,
    idempotency_key: str | None = None,
) -> PurchaseOrderResult:
    """Place an ORDERED purchase order with its lines, or a DRAFT when asked.

    A DRAFT is not incoming until submitted; another status is INVALID on ("input",
    "status"). The number is generated per merchant (PO-000001, …) when none (or a
    blank one) is given; a number already used by this merchant is DUPLICATE on
    ("input", "number"). The currency is the merchant's purchase currency, the one of
    its first purchase order (INVALID on ("input", "currency") otherwise). Location,
    vendor and items must be this merchant's (NOT_FOUND) and not archived (ARCHIVED: an
    archived vendor takes no new order); a line's unit must convert for its item
    (UNIT_MISMATCH); every problem of the request is reported together. A line keeps
    its quantity and unit cost as entered (per its unit) beside the base quantity and
    the cost per base unit (the line's value / its base quantity, 12 places).
    """
    number = (number or "").strip() or None
    request = {
        "locationId": location_id,
        "vendorId": vendor_id,
        "currency": currency,
        "number": number,
        "status": status,
        "lines": [
            [line.item_type, line.item_id, line.quantity_ordered, line.unit_cost, line.unit]
            for line in lines
        ],
    }
    problems = ProblemCollector()
    refuse_nul(problems, {("input", "number"): number})
    if status not in CREATED_STATUSES:
        problems.add(UserErrorCode.INVALID, "must be DRAFT or ORDERED", ("input", "status"))
    currency_shaped = CURRENCY_SHAPE.match(currency) is not None
    if not currency_shaped:
        problems.add(
            UserErrorCode.INVALID, "must be an ISO 4217 code like EUR", ("input", "currency")
        )
    check_lines(problems, lines)

    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        if idempotency_key is not None:
            stored = await idempotency.claim(
                session, merchant_id, idempotency_key, CREATE_OPERATION, request
            )
            if stored is not None:
                return PurchaseOrderResult(uuid.UUID(stored["purchaseOrderId"]))
        await check_exists(
            session,
            problems,
            t.location,
            merchant_id,
            {location_id: [("input", "locationId")]},
            "location",
        )
        await check_exists(
            session, problems, t.vendor, merchant_id, {vendor_id: [("input", "vendorId")]}, "vendor"
        )
        converted = await check_line_items(session, problems, merchant_id, lines)
        await lock_numbering(session, merchant_id)
        if currency_shaped:
            why = purchase_currency_problem(await purchase_currency(session, merchant_id), currency)
            if why is not None:
                problems.add(UserErrorCode.INVALID, why, ("input", "currency"))
        if number is not None:
            await check_number_free(session, problems, merchant_id, number)
        problems.raise_if_any()

        purchase_order_id = await insert_order(
            session,
            actor,
            number=number,
            status=status,
            location_id=location_id,
            vendor_id=vendor_id,
            currency=currency,
        )
        await insert_lines(session, merchant_id, purchase_order_id, converted)
        if idempotency_key is not None:
            await idempotency.remember(
                session, merchant_id, idempotency_key, {"purchaseOrderId": purchase_order_id}
            )
    return PurchaseOrderResult(purchase_order_id)


async def cancel_purchase_order(
    uow: UnitOfWork, actor: Actor, purchase_order_id: uuid.UUID
) -> PurchaseOrderResult:
    """Cancel a DRAFT or ORDERED purchase order; any other status is INVALID_STATE on ("id",)."""
    async with uow.transaction() as session:
        status = await lock_purchase_order(session, actor.merchant_id, purchase_order_id)
        if status not in OPEN_STATUSES:
            raise DomainError.one(
                UserErrorCode.INVALID_STATE,
                f"a {status.value} purchase order cannot be cancelled",
                ("id",),
            )
        await set_status(session, purchase_order_id, PurchaseOrderStatus.CANCELLED)
    return PurchaseOrderResult(purchase_order_id)


async def set_status(
    session: AsyncSession, purchase_order_id: uuid.UUID, status: PurchaseOrderStatus
) -> None:
    await session.execute(
        update(t.purchase_order)
        .where(t.purchase_order.c.id == purchase_order_id)
        .values(status=status, updated_at=utcnow())
    )


async def lock_purchase_order(
    session: AsyncSession, merchant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> PurchaseOrderStatus:
    """Hold the purchase order FOR UPDATE and return its status (NOT_FOUND on ("id",))."""
    status = (
        await session.execute(
            select(t.purchase_order.c.status)
            .where(
                t.purchase_order.c.merchant_id == merchant_id,
                t.purchase_order.c.id == purchase_order_id,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if status is None:
        raise DomainError.one(
            UserErrorCode.NOT_FOUND, f"purchase order {purchase_order_id} not found", ("id",)
        )
    return PurchaseOrderStatus(status)


__all__ = [
    "CREATE_OPERATION",
    "OPEN_STATUSES",
    "PurchaseOrderLineInput",
    "PurchaseOrderResult",
    "cancel_purchase_order",
    "check_quantity",
    "create_purchase_order",
    "lock_purchase_order",
]
