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
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative
from app.outbox.purchase_events import ReceivedLine
from app.services.purchase_orders import check_quantity


@dataclass(frozen=True)
class ReceiveLineInput:
    line_id: uuid.UUID
    quantity_received: Decimal
    unit_cost: Decimal | None = None


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
                item.c.product_variant_id,
                func.coalesce(item.c.name, material.c.name).label("name"),
                func.coalesce(item.c.unit, material.c.unit).label("unit"),
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
    rows: Sequence[Any], inputs: Sequence[ReceiveLineInput] | None
) -> list[ReceivedLine]:
    """Lines as received: all as ordered when no inputs; else unlisted lines received 0."""
    given = {i.line_id: i for i in inputs} if inputs else None
    received = []
    for row in rows:
        choice = None if given is None else given.get(row.id)
        if given is None:
            quantity, cost = row.quantity_ordered, row.unit_cost
        elif choice is None:
            quantity, cost = Decimal(0), row.unit_cost
        else:
            quantity = choice.quantity_received
            cost = row.unit_cost if choice.unit_cost is None else choice.unit_cost
        received.append(
            ReceivedLine(
                line_id=row.id,
                item_type=ItemType(row.item_type),
                item_id=row.item_id,
                product_variant_id=row.product_variant_id,
                name=row.name,
                unit=row.unit,
                quantity_ordered=row.quantity_ordered,
                quantity_received=quantity,
                unit_cost=cost,
            )
        )
    return received
