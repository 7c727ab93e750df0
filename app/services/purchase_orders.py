"""Purchase orders: placing one with a vendor, and cancelling it before receipt.

Receiving lives in `purchase_receipts.py`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Table, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import ItemType, PurchaseOrderStatus
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative, require_positive
from app.domain.text import refuse_nul
from app.domain.units import cost_per_base_unit
from app.services import idempotency
from app.services.context import Actor
from app.services.unit_conversion import convert, item_books

CREATE_OPERATION = "purchaseOrderCreate"
OPEN_STATUSES = (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.ORDERED)
CURRENCY_SHAPE = re.compile(r"^[A-Z]{3}$")
NUMBER_PREFIX = "PO-"
# Generated numbers are PO- and digits; numbers given by users may look the same.
GENERATED_NUMBER = r"^PO-[0-9]{1,15}$"


@dataclass(frozen=True)
class PurchaseOrderResult:
    purchase_order_id: uuid.UUID


@dataclass(frozen=True)
class PurchaseOrderLineInput:
    item_type: ItemType
    item_id: uuid.UUID
    quantity_ordered: Decimal
    unit_cost: Decimal  # per `unit`
    unit: str | None = None  # None: the item's base unit


QuantityRule = Callable[[Decimal, FieldPath], Decimal]


def check_quantity(
    problems: ProblemCollector, rule: QuantityRule, number: Decimal, field: FieldPath
) -> bool:
    """Apply a rule of `app.domain.quantities`, collecting its problem instead of raising."""
    try:
        rule(number, field)
    except DomainError as error:
        problems.problems.extend(error.problems)
        return False
    return True


async def _check_exists(
    session: AsyncSession,
    problems: ProblemCollector,
    table: Table,
    merchant_id: uuid.UUID,
    wanted: dict[uuid.UUID, list[FieldPath]],
    what: str,
) -> None:
    """NOT_FOUND for ids that are not this merchant's, ARCHIVED for archived ones."""
    if not wanted:
        return
    columns = table.c
    rows = (
        await session.execute(
            select(columns.id, columns.archived).where(
                columns.merchant_id == merchant_id, columns.id.in_(list(wanted))
            )
        )
    ).all()
    archived = {row.id: row.archived for row in rows}
    for item_id, fields in wanted.items():
        for field in fields:
            if item_id not in archived:
                problems.add(UserErrorCode.NOT_FOUND, f"{what} {item_id} not found", field)
            elif archived[item_id]:
                problems.add(UserErrorCode.ARCHIVED, f"{what} {item_id} is archived", field)


def _check_lines(problems: ProblemCollector, lines: Sequence[PurchaseOrderLineInput]) -> None:
    if not lines:
        problems.add(UserErrorCode.REQUIRED, "at least one line is required", ("input", "lines"))
    for i, line in enumerate(lines):
        field = ("input", "lines", i)
        check_quantity(
            problems, require_positive, line.quantity_ordered, (*field, "quantityOrdered")
        )
        check_quantity(problems, require_not_negative, line.unit_cost, (*field, "unitCost"))


async def _next_number(session: AsyncSession, merchant_id: uuid.UUID) -> str:
    """The next PO-nnnnnn of this merchant: one past the highest number of that shape."""
    highest = (
        await session.execute(
            select(func.max(cast(func.substr(t.purchase_order.c.number, 4), Integer))).where(
                t.purchase_order.c.merchant_id == merchant_id,
                t.purchase_order.c.number.regexp_match(GENERATED_NUMBER),
            )
        )
    ).scalar_one()
    return f"{NUMBER_PREFIX}{(highest or 0) + 1:06d}"


async def _lock_numbering(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    """Serialize numbering per merchant, so two creates never pick the same next number."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"po-number:{merchant_id}", 0)))
    )


async def create_purchase_order(
    uow: UnitOfWork,
    actor: Actor,
    *,
    location_id: uuid.UUID,
    vendor_id: uuid.UUID,
    currency: str,
    lines: Sequence[PurchaseOrderLineInput],
    number: str | None = None,
    idempotency_key: str | None = None,
) -> PurchaseOrderResult:
    """Place an ORDERED purchase order with its lines.

    The number is generated per merchant (PO-000001, …) when none (or a blank one) is
    given; a number already used by this merchant is DUPLICATE on ("input", "number").
    Location, vendor and items must be this merchant's (NOT_FOUND) and not archived
    (ARCHIVED); a line's unit must convert for its item (UNIT_MISMATCH); every problem
    of the request is reported together. A line keeps its quantity and unit cost as
    entered (per its unit) beside the base quantity and the cost per base unit (the
    line's value / its base quantity, 12 places).
    """
    number = (number or "").strip() or None
    request = {
        "locationId": location_id,
        "vendorId": vendor_id,
        "currency": currency,
        "number": number,
        "lines": [
            [line.item_type, line.item_id, line.quantity_ordered, line.unit_cost, line.unit]
            for line in lines
        ],
    }
    problems = ProblemCollector()
    refuse_nul(problems, {("input", "number"): number})
    if not CURRENCY_SHAPE.match(currency):
        problems.add(
            UserErrorCode.INVALID, "must be an ISO 4217 code like EUR", ("input", "currency")
        )
    _check_lines(problems, lines)

    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        if idempotency_key is not None:
            stored = await idempotency.claim(
                session, merchant_id, idempotency_key, CREATE_OPERATION, request
            )
            if stored is not None:
                return PurchaseOrderResult(uuid.UUID(stored["purchaseOrderId"]))
        await _check_exists(
            session,
            problems,
            t.location,
            merchant_id,
            {location_id: [("input", "locationId")]},
            "location",
        )
        await _check_exists(
            session,
            problems,
            t.vendor,
            merchant_id,
            {vendor_id: [("input", "vendorId")]},
            "vendor",
        )
        for item_type, table, what in (
            (ItemType.PRODUCT, t.inventory_item, "inventory item"),
            (ItemType.MATERIAL, t.material, "material"),
        ):
            wanted: dict[uuid.UUID, list[FieldPath]] = {}
            for i, line in enumerate(lines):
                if line.item_type is item_type:
                    wanted.setdefault(line.item_id, []).append(("input", "lines", i, "itemId"))
            await _check_exists(session, problems, table, merchant_id, wanted, what)
        converted = await _convert_lines(session, merchant_id, lines, problems)
        await _lock_numbering(session, merchant_id)
        if number is not None:
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
        problems.raise_if_any()

        purchase_order_id = uuid7()
        now = utcnow()
        inserted = await session.execute(
            pg_insert(t.purchase_order)
            .values(
                id=purchase_order_id,
                merchant_id=merchant_id,
                number=number or await _next_number(session, merchant_id),
                status=PurchaseOrderStatus.ORDERED,
                location_id=location_id,
                vendor_id=vendor_id,
                currency=currency,
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
        await session.execute(
            insert(t.purchase_order_line),
            [
                {
                    "id": uuid7(),
                    "merchant_id": merchant_id,
                    "purchase_order_id": purchase_order_id,
                    "position": i,
                    "item_type": line.item_type,
                    "inventory_item_id": line.item_id
                    if line.item_type is ItemType.PRODUCT
                    else None,
                    "material_id": line.item_id if line.item_type is ItemType.MATERIAL else None,
                    **converted[i],
                }
                for i, line in enumerate(lines)
            ],
        )
        if idempotency_key is not None:
            await idempotency.remember(
                session, merchant_id, idempotency_key, {"purchaseOrderId": purchase_order_id}
            )
    return PurchaseOrderResult(purchase_order_id)


async def _convert_lines(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    lines: Sequence[PurchaseOrderLineInput],
    problems: ProblemCollector,
) -> list[dict[str, Any]]:
    """Each line's quantity and cost columns: base, and as entered when in another unit."""
    books = {
        item_type: await item_books(
            session,
            merchant_id,
            item_type,
            (ln.item_id for ln in lines if ln.item_type is item_type),
        )
        for item_type in ItemType
    }
    columns: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        book = books[line.item_type].get(line.item_id)
        field = ("input", "lines", i)
        entered = None
        if book is not None:
            entered = convert(
                book,
                line.quantity_ordered,
                line.unit,
                problems,
                (*field, "unit"),
                (*field, "quantityOrdered"),
            )
        if book is None or entered is None or entered.unit is None:
            columns.append(
                {
                    "quantity_ordered": line.quantity_ordered,
                    "unit_cost": line.unit_cost,
                    # Every row of one INSERT names the same columns.
                    "unit": None,
                    "entered_quantity_ordered": None,
                    "entered_unit_cost": None,
                }
            )
            continue
        columns.append(
            {
                "quantity_ordered": entered.base,
                "unit_cost": cost_per_base_unit(
                    line.quantity_ordered, line.unit_cost, entered.base
                ),
                "unit": entered.unit,
                "entered_quantity_ordered": line.quantity_ordered,
                "entered_unit_cost": line.unit_cost,
            }
        )
    return columns


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
        await session.execute(
            update(t.purchase_order)
            .where(t.purchase_order.c.id == purchase_order_id)
            .values(status=PurchaseOrderStatus.CANCELLED, updated_at=utcnow())
        )
    return PurchaseOrderResult(purchase_order_id)


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
