"""What a receipt receives: the order's lines, with the caller's quantities and costs applied."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import ItemType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative
from app.domain.units import cost_per_base_unit
from app.outbox.purchase_events import ReceivedLine
from app.services.purchase_order_lines import check_quantity
from app.services.unit_conversion import book_from_row, convert


@dataclass(frozen=True)
class ReceiveLineInput:
    line_id: uuid.UUID
    quantity_received: Decimal
    unit_cost: Decimal | None = None  # per `unit`; None: the line's unit cost
    unit: str | None = None  # None: the line's unit


def check_receive_lines(
    problems: ProblemCollector, lines: Sequence[ReceiveLineInput], known: set[uuid.UUID]
) -> None:
    """Listed lines must be the order's (NOT_FOUND), once each, with quantities not below 0."""
    seen: set[uuid.UUID] = set()
    for i, line in enumerate(lines):
        field = ("input", "lines", i)
        if line.line_id not in known:
            problems.add(
                UserErrorCode.NOT_FOUND, f"line {line.line_id} not found", (*field, "lineId")
            )
        elif line.line_id in seen:
            problems.add(UserErrorCode.INVALID, "line is listed twice", (*field, "lineId"))
        seen.add(line.line_id)
        check_quantity(
            problems, require_not_negative, line.quantity_received, (*field, "quantityReceived")
        )
        if line.unit_cost is not None:
            check_quantity(problems, require_not_negative, line.unit_cost, (*field, "unitCost"))


async def load_order(
    session: AsyncSession, merchant_id: uuid.UUID, purchase_order_id: uuid.UUID
) -> tuple[Any, list[Any]]:
    """The order with its vendor as it is now, and its lines with their items' names and units."""
    po, vendor = t.purchase_order, t.vendor
    order = (
        await session.execute(
            select(
                po.c.number,
                po.c.location_id,
                po.c.currency,
                vendor.c.id.label("vendor_id"),
                vendor.c.name,
                vendor.c.tax_id,
                vendor.c.email,
                vendor.c.phone,
                vendor.c.address,
            )
            .join(vendor, vendor.c.id == po.c.vendor_id)
            .where(po.c.merchant_id == merchant_id, po.c.id == purchase_order_id)
        )
    ).one()
    line, item, material = t.purchase_order_line, t.inventory_item, t.material
    lines = (
        await session.execute(
            select(
                line.c.id,
                line.c.item_type,
                func.coalesce(line.c.inventory_item_id, line.c.material_id).label("item_id"),
                line.c.quantity_ordered,
                line.c.unit_cost,
                line.c.unit.label("line_unit"),
                line.c.entered_quantity_ordered,
                line.c.entered_unit_cost,
                item.c.product_variant_id,
                func.coalesce(item.c.name, material.c.name).label("name"),
                func.coalesce(item.c.unit, material.c.unit).label("unit"),
                func.coalesce(item.c.units, material.c.units).label("units"),
            )
            .select_from(
                line.outerjoin(item, item.c.id == line.c.inventory_item_id).outerjoin(
                    material, material.c.id == line.c.material_id
                )
            )
            .where(line.c.merchant_id == merchant_id, line.c.purchase_order_id == purchase_order_id)
            .order_by(line.c.position, line.c.id)
        )
    ).all()
    return order, list(lines)


def vendor_snapshot(order: Any) -> dict[str, Any]:
    """Stored on the order at receipt and sent to finance: the contract's vendor shape."""
    return {
        "id": str(order.vendor_id),
        "name": order.name,
        "taxId": order.tax_id,
        "email": order.email,
        "phone": order.phone,
        "address": order.address,
    }


def received_lines(
    rows: Sequence[Any], inputs: Sequence[ReceiveLineInput] | None, problems: ProblemCollector
) -> list[ReceivedLine]:
    """Lines as received: all as ordered when no inputs; else unlisted lines received 0.

    A receipt line may be in another unit than its order line (4 bottles of a line in
    cases): its quantity is converted once to the base unit (UNIT_MISMATCH on
    ("input", "lines", i, "unit") when it does not convert), its value is quantity x
    unit cost as entered, and its cost per base unit that value / the base quantity.
    """
    given = {line.line_id: (i, line) for i, line in enumerate(inputs or ())}
    received = []
    for row in rows:
        book = book_from_row(row.unit, row.units)
        line_unit = row.line_unit  # None: the base unit
        line_cost = row.unit_cost if row.entered_unit_cost is None else row.entered_unit_cost
        ordered = (
            row.quantity_ordered
            if row.entered_quantity_ordered is None
            else row.entered_quantity_ordered
        )
        index, choice = given.get(row.id, (None, None))
        if not given:
            quantity, unit, cost = ordered, line_unit, line_cost
        elif choice is None:
            quantity, unit, cost = Decimal(0), line_unit, line_cost
        else:
            quantity = choice.quantity_received
            unit = line_unit if choice.unit is None else choice.unit
            cost = choice.unit_cost
            if cost is None:
                cost = book.convert_cost(line_cost, line_unit, unit)
        if not book.converts(line_unit):
            problems.add(
                UserErrorCode.UNIT_MISMATCH,
                f"the line's unit {line_unit} no longer converts for {row.name}",
                ("id",),
            )
            continue
        field: FieldPath = ("input", "lines") if index is None else ("input", "lines", index)
        entered = convert(book, quantity, unit, problems, (*field, "unit"))
        if entered is None or cost is None:
            continue
        same = book.same_unit(unit, line_unit)
        value = quantity * cost
        base_cost = (
            cost_per_base_unit(quantity, cost, entered.base)
            if entered.base != 0
            else book.convert_cost(cost, unit, None)
        )
        in_line_quantity = quantity if same else book.from_base(entered.base, line_unit)
        in_line_cost = cost if same else book.convert_cost(cost, unit, line_unit)
        assert base_cost is not None
        assert in_line_quantity is not None
        assert in_line_cost is not None
        received.append(
            ReceivedLine(
                line_id=row.id,
                item_type=ItemType(row.item_type),
                item_id=row.item_id,
                product_variant_id=row.product_variant_id,
                name=row.name,
                unit=book.display_name(line_unit),
                quantity_ordered=ordered,
                quantity_received=in_line_quantity,
                unit_cost=in_line_cost,
                base_quantity_received=entered.base,
                base_unit_cost=base_cost,
                value=value,
                in_base_unit=line_unit is None,
                typed_quantity=entered.quantity,
                typed_unit=entered.unit,
            )
        )
    return received
