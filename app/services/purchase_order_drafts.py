"""Draft purchase orders: edited (vendor, number, lines replaced), then submitted.

A DRAFT is what a manager prepares (from reorder suggestions, say) before sending it:
it is not incoming until submitted, and only a DRAFT can be edited or submitted
(INVALID_STATE on ("id",) otherwise).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import PurchaseOrderStatus
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.text import refuse_nul
from app.services.context import Actor
from app.services.purchase_order_lines import (
    PurchaseOrderLineInput,
    check_exists,
    check_line_items,
    check_lines,
    insert_lines,
)
from app.services.purchase_orders import (
    PurchaseOrderResult,
    check_number_free,
    lock_numbering,
    lock_purchase_order,
    set_status,
)


async def _lock_draft(
    session: AsyncSession, merchant_id: uuid.UUID, purchase_order_id: uuid.UUID, doing: str
) -> None:
    status = await lock_purchase_order(session, merchant_id, purchase_order_id)
    if status is not PurchaseOrderStatus.DRAFT:
        raise DomainError.one(
            UserErrorCode.INVALID_STATE,
            f"a {status.value} purchase order cannot be {doing}: only a DRAFT can",
            ("id",),
        )


async def update_purchase_order(
    uow: UnitOfWork,
    actor: Actor,
    purchase_order_id: uuid.UUID,
    *,
    vendor_id: uuid.UUID | None = None,
    number: str | None = None,
    lines: Sequence[PurchaseOrderLineInput] | None = None,
) -> PurchaseOrderResult:
    """Change a DRAFT's vendor or number, or replace all its lines; what is None stays.

    The rules of placing an order hold: the vendor must be this merchant's and not
    archived, a number unused (DUPLICATE; blank is REQUIRED), at least one line with
    items of this merchant in units that convert.
    """
    problems = ProblemCollector()
    if number is not None:
        number = number.strip()
        refuse_nul(problems, {("input", "number"): number})
        if not number:
            problems.add(UserErrorCode.REQUIRED, "number cannot be blank", ("input", "number"))
    if lines is not None:
        check_lines(problems, lines)
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        await _lock_draft(session, merchant_id, purchase_order_id, "edited")
        changes: dict[str, object] = {}
        if vendor_id is not None:
            await check_exists(
                session,
                problems,
                t.vendor,
                merchant_id,
                {vendor_id: [("input", "vendorId")]},
                "vendor",
            )
            changes["vendor_id"] = vendor_id
        converted = None
        if lines is not None:
            converted = await check_line_items(session, problems, merchant_id, lines)
        if number:
            current = (
                await session.execute(
                    select(t.purchase_order.c.number).where(
                        t.purchase_order.c.id == purchase_order_id
                    )
                )
            ).scalar_one()
            if number != current:
                await lock_numbering(session, merchant_id)
                await check_number_free(session, problems, merchant_id, number)
                changes["number"] = number
        problems.raise_if_any()
        if converted is not None:
            line = t.purchase_order_line
            await session.execute(
                delete(line).where(
                    line.c.merchant_id == merchant_id, line.c.purchase_order_id == purchase_order_id
                )
            )
            await insert_lines(session, merchant_id, purchase_order_id, converted)
        await session.execute(
            update(t.purchase_order)
            .where(t.purchase_order.c.id == purchase_order_id)
            .values(**changes, updated_at=utcnow())
        )
    return PurchaseOrderResult(purchase_order_id)


async def submit_purchase_order(
    uow: UnitOfWork, actor: Actor, purchase_order_id: uuid.UUID
) -> PurchaseOrderResult:
    """DRAFT -> ORDERED: from now on its lines are incoming. A draft whose vendor was
    archived meanwhile is ARCHIVED on ("id",): an archived vendor takes no new order."""
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        await _lock_draft(session, merchant_id, purchase_order_id, "submitted")
        po, vendor = t.purchase_order, t.vendor
        archived = (
            await session.execute(
                select(vendor.c.archived)
                .join(po, po.c.vendor_id == vendor.c.id)
                .where(po.c.id == purchase_order_id)
            )
        ).scalar_one()
        if archived:
            raise DomainError.one(UserErrorCode.ARCHIVED, "the order's vendor is archived", ("id",))
        await set_status(session, purchase_order_id, PurchaseOrderStatus.ORDERED)
    return PurchaseOrderResult(purchase_order_id)
