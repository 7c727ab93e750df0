"""A purchase order's lines as requested: checked, converted to base units, written.

Shared by placing an order and by replacing a draft's lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import uuid7
from app.domain.enums import ItemType
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative, require_positive
from app.domain.units import cost_per_base_unit
from app.services.unit_conversion import convert, item_books


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


async def check_exists(
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


def check_lines(problems: ProblemCollector, lines: Sequence[PurchaseOrderLineInput]) -> None:
    """At least one line, each with a quantity above 0 and a unit cost not below 0."""
    if not lines:
        problems.add(UserErrorCode.REQUIRED, "at least one line is required", ("input", "lines"))
    for i, line in enumerate(lines):
        field = ("input", "lines", i)
        check_quantity(
            problems, require_positive, line.quantity_ordered, (*field, "quantityOrdered")
        )
        check_quantity(problems, require_not_negative, line.unit_cost, (*field, "unitCost"))


async def check_line_items(
    session: AsyncSession,
    problems: ProblemCollector,
    merchant_id: uuid.UUID,
    lines: Sequence[PurchaseOrderLineInput],
) -> list[dict[str, Any]]:
    """The lines' items must be this merchant's and not archived; each line's quantity and
    cost columns, base and as entered (UNIT_MISMATCH when its unit does not convert)."""
    for item_type, table, what in (
        (ItemType.PRODUCT, t.inventory_item, "inventory item"),
        (ItemType.MATERIAL, t.material, "material"),
    ):
        wanted: dict[uuid.UUID, list[FieldPath]] = {}
        for i, line in enumerate(lines):
            if line.item_type is item_type:
                wanted.setdefault(line.item_id, []).append(("input", "lines", i, "itemId"))
        await check_exists(session, problems, table, merchant_id, wanted, what)
    return await _convert_lines(session, merchant_id, lines, problems)


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
                    "item_type": line.item_type,
                    "item_id": line.item_id,
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
                "item_type": line.item_type,
                "item_id": line.item_id,
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


async def insert_lines(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    purchase_order_id: uuid.UUID,
    lines: Sequence[dict[str, Any]],
) -> None:
    """Write lines given as `check_line_items` (or a backorder) made them, in their order."""
    rows = []
    for i, columns in enumerate(lines):
        values = dict(columns)
        item_type, item_id = values.pop("item_type"), values.pop("item_id")
        product = item_type is ItemType.PRODUCT
        rows.append(
            {
                "id": uuid7(),
                "merchant_id": merchant_id,
                "purchase_order_id": purchase_order_id,
                "position": i,
                "item_type": item_type,
                "inventory_item_id": item_id if product else None,
                "material_id": None if product else item_id,
                **values,
            }
        )
    await session.execute(insert(t.purchase_order_line), rows)
