"""The moving-average unit cost of materials, folded forward by each purchase receipt."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow
from app.domain.costs import moving_average


@dataclass(frozen=True)
class CostedReceipt:
    """Part of a receipt of one material: a line's base quantity and what it is worth
    (quantity x unit cost exactly as entered, whatever unit it was entered in)."""

    material_id: uuid.UUID
    quantity: Decimal
    value: Decimal


async def fold_receipt_into_average_costs(
    session: AsyncSession, merchant_id: uuid.UUID, received: Iterable[CostedReceipt]
) -> None:
    """Lock the received materials (id order) and update their moving-average unit cost.

    Call before the receipt's stock moves: on hand must be the total before it. The
    material row lock serializes two receipts of one material at different
    locations, so neither averages against a total the other has made stale. It is
    FOR NO KEY UPDATE, not FOR UPDATE: a transfer or sale that holds a stock row and
    then inserts a row referencing the material (its foreign key check takes FOR KEY
    SHARE) must not wait on us while we wait for its stock row — that deadlocked.
    """
    totals: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
    for part in received:
        if part.quantity > 0:
            quantity, value = totals.get(part.material_id, (Decimal(0), Decimal(0)))
            totals[part.material_id] = (
                quantity + part.quantity,
                value + part.value,
            )
    if not totals:
        return
    material, stock = t.material, t.stock
    ids = sorted(totals)
    averages: dict[uuid.UUID, Decimal | None] = {
        row.id: row.average_unit_cost
        for row in await session.execute(
            select(material.c.id, material.c.average_unit_cost)
            .where(material.c.merchant_id == merchant_id, material.c.id.in_(ids))
            .order_by(material.c.id)
            .with_for_update(key_share=True)
        )
    }
    on_hand: dict[uuid.UUID, Decimal] = {
        row.material_id: row.on_hand
        for row in await session.execute(
            select(stock.c.material_id, func.sum(stock.c.on_hand).label("on_hand"))
            .where(stock.c.merchant_id == merchant_id, stock.c.material_id.in_(ids))
            .group_by(stock.c.material_id)
        )
    }
    await session.execute(
        update(material)
        .where(material.c.id == bindparam("material_id"))
        .values(average_unit_cost=bindparam("average"), updated_at=utcnow()),
        [
            {
                "material_id": material_id,
                "average": moving_average(
                    on_hand.get(material_id, Decimal(0)),
                    averages[material_id],
                    *totals[material_id],
                ),
            }
            for material_id in ids
        ],
    )
