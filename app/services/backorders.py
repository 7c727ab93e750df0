"""Backorders: what a receipt got short, put on a new ORDERED purchase order.

A purchase order is received once (finance deduplicates `purchase-order.received` by
purchase order), so the rest of a short line cannot wait on the same order: with
`backorder`, a new order for the same vendor, location and currency takes it, numbered
like any other, pointing back at the original (`backorder_of_id`), received later on
its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.enums import ItemType, PurchaseOrderStatus
from app.outbox.purchase_events import ReceivedLine
from app.services.context import Actor
from app.services.purchase_order_lines import insert_lines
from app.services.purchase_orders import insert_order, lock_numbering


def backorder_lines(rows: Sequence[Any], received: Sequence[ReceivedLine]) -> list[dict[str, Any]]:
    """The rest of each line received short, at the line's ordered unit cost.

    In the base unit the rest is ordered - received exactly, so the two orders together
    hold what was ordered. A line in a pack keeps its unit: the rest as entered is what
    was ordered less what was received, both in that unit (a receipt in bottles of a
    line in cases was converted to cases once); if rounding left nothing there, the
    rest is ordered in the base unit.
    """
    got = {line.line_id: line for line in received}
    lines = []
    for row in rows:
        line = got.get(row.id)
        if line is None:
            continue
        rest = row.quantity_ordered - line.base_quantity_received
        if rest <= 0:
            continue
        columns: dict[str, Any] = {
            "item_type": ItemType(row.item_type),
            "item_id": row.item_id,
            "quantity_ordered": rest,
            "unit_cost": row.unit_cost,
            "unit": None,
            "entered_quantity_ordered": None,
            "entered_unit_cost": None,
        }
        if row.line_unit is not None:
            entered_rest = Decimal(row.entered_quantity_ordered) - line.quantity_received
            if entered_rest > 0:
                columns |= {
                    "unit": row.line_unit,
                    "entered_quantity_ordered": entered_rest,
                    "entered_unit_cost": row.entered_unit_cost,
                }
        lines.append(columns)
    return lines


async def place_backorder(
    session: AsyncSession,
    actor: Actor,
    purchase_order_id: uuid.UUID,
    order: Any,
    rows: Sequence[Any],
    received: Sequence[ReceivedLine],
) -> uuid.UUID | None:
    """The backorder of a receipt, when any line was received short; None otherwise.

    `rows` are the order's lines as ordered (read before the receipt recorded its
    quantities and costs), `received` the receipt's lines.
    """
    lines = backorder_lines(rows, received)
    if not lines:
        return None
    await lock_numbering(session, actor.merchant_id)
    backorder_id = await insert_order(
        session,
        actor,
        number=None,
        status=PurchaseOrderStatus.ORDERED,
        location_id=order.location_id,
        vendor_id=order.vendor_id,
        currency=order.currency,
        backorder_of_id=purchase_order_id,
    )
    await insert_lines(session, actor.merchant_id, backorder_id, lines)
    return backorder_id
