"""The moving-average unit cost of every stock item, folded forward by receipts and
productions and kept as of each change (`item_cost_change`), so it can be read as of a
past moment. The rule itself is `app.domain.costs.moving_average`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.domain.costs import moving_average
from app.domain.enums import ItemType, ReferenceType
from app.services.stock_records import MoveResult

ZERO = Decimal(0)


@dataclass(frozen=True)
class CostedReceipt:
    """Part of a receipt (or a production) of one item: its base quantity and what it is
    worth (quantity x unit cost exactly as entered, whatever unit it was entered in)."""

    item_type: ItemType
    item_id: uuid.UUID
    quantity: Decimal
    value: Decimal


@dataclass(frozen=True)
class CostChange:
    item_type: ItemType
    item_id: uuid.UUID
    average: Decimal


def _item_table(item_type: ItemType) -> tuple[Table, str]:
    if item_type is ItemType.PRODUCT:
        return t.inventory_item, "inventory_item_id"
    return t.material, "material_id"


async def fold_receipt_into_average_costs(
    session: AsyncSession, merchant_id: uuid.UUID, received: Iterable[CostedReceipt]
) -> list[CostChange]:
    """Lock the received items (id order) and update their moving-average unit cost.

    Call before the receipt's stock moves: on hand must be the total before it. The
    item row lock serializes two receipts of one item at different locations, so
    neither averages against a total the other has made stale. It is FOR NO KEY
    UPDATE, not FOR UPDATE: a transfer or sale that holds a stock row and then inserts
    a row referencing the item (its foreign key check takes FOR KEY SHARE) must not
    wait on us while we wait for its stock row — that deadlocked. Returns the new
    averages, for `record_cost_changes` once the moves have their time.
    """
    totals: dict[tuple[ItemType, uuid.UUID], tuple[Decimal, Decimal]] = {}
    for part in received:
        if part.quantity > 0:
            key = (part.item_type, part.item_id)
            quantity, value = totals.get(key, (ZERO, ZERO))
            totals[key] = (quantity + part.quantity, value + part.value)
    changes: list[CostChange] = []
    for item_type in ItemType:
        ids = sorted(item_id for kind, item_id in totals if kind is item_type)
        if ids:
            changes += await _fold(session, merchant_id, item_type, ids, totals)
    return changes


async def _fold(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_type: ItemType,
    ids: Sequence[uuid.UUID],
    totals: dict[tuple[ItemType, uuid.UUID], tuple[Decimal, Decimal]],
) -> list[CostChange]:
    table, stock_column = _item_table(item_type)
    stock = t.stock
    averages: dict[uuid.UUID, Decimal | None] = {
        row.id: row.average_unit_cost
        for row in await session.execute(
            select(table.c.id, table.c.average_unit_cost)
            .where(table.c.merchant_id == merchant_id, table.c.id.in_(ids))
            .order_by(table.c.id)
            .with_for_update(key_share=True)
        )
    }
    item_of_stock = stock.c[stock_column]
    on_hand: dict[uuid.UUID, Decimal] = {
        row.item_id: row.on_hand
        for row in await session.execute(
            select(item_of_stock.label("item_id"), func.sum(stock.c.on_hand).label("on_hand"))
            .where(stock.c.merchant_id == merchant_id, item_of_stock.in_(ids))
            .group_by(item_of_stock)
        )
    }
    changes = []
    for item_id in ids:
        average = moving_average(
            on_hand.get(item_id, ZERO), averages[item_id], *totals[(item_type, item_id)]
        )
        if average is not None:
            changes.append(CostChange(item_type, item_id, average))
    if changes:
        await session.execute(
            update(table)
            .where(table.c.id == bindparam("item_id"))
            .values(average_unit_cost=bindparam("average"), updated_at=utcnow()),
            [{"item_id": c.item_id, "average": c.average} for c in changes],
        )
    return changes


async def record_cost_changes(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    changes: Sequence[CostChange],
    moved: MoveResult,
    reference_type: ReferenceType,
    reference_id: str,
) -> None:
    """Keep the new averages as of the time of the movements that caused them, so a
    valuation at any moment reads the quantity and the cost of the same instant."""
    if not changes:
        return
    changed_at = moved.applied[0].movement.occurred_at if moved.applied else utcnow()
    await session.execute(
        insert(t.item_cost_change),
        [
            {
                "id": uuid7(),
                "merchant_id": merchant_id,
                "item_type": c.item_type,
                "item_id": c.item_id,
                "average_unit_cost": c.average,
                "changed_at": changed_at,
                "reference_type": reference_type.value,
                "reference_id": reference_id,
            }
            for c in changes
        ],
    )
