"""Recording the sale lines that depleted nothing, in the payment's own transaction (read
back per period by app/db/queries/unmapped_sales.py).

The payment path calls `record_unmapped_sales` with what it already has in hand (the
items' tracking and the recipe snapshot it built), so recording costs one INSERT per
batch and no extra read. A re-delivered payment records nothing new (unique per sale
order item and modifier option).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import tables as t
from app.db.models.base import uuid7
from app.domain.enums import RecipeOwner
from app.domain.sale import PaymentSucceeded, SoldProduct
from app.domain.sale_snapshot import SaleSnapshot
from app.domain.unmapped_sales import SoldItem, SoldModifier, unmapped_lines


def unmapped_rows(
    payment: PaymentSucceeded, items: Mapping[uuid.UUID, SoldProduct], snapshot: SaleSnapshot
) -> list[dict[str, Any]]:
    """The rows to record for one payment: its lines that the snapshot and tracking say
    deplete nothing. `items` are the payment's inventory items by product variant."""
    sold = []
    for item in payment.items:
        taken = snapshot.items.get(item.sale_order_item_id)
        owners = {(line.owner_type, line.owner_id) for line in taken.lines} if taken else set()
        known = items.get(item.product_variant_id)
        sold.append(
            SoldItem(
                item.sale_order_item_id,
                item.product_variant_id,
                item.quantity,
                tracked=known is not None and known.track_inventory,
                has_recipe=(RecipeOwner.PRODUCT_VARIANT, item.product_variant_id) in owners,
                modifiers=[
                    SoldModifier(
                        m.modifier_option_id,
                        m.quantity,
                        (RecipeOwner.MODIFIER_OPTION, m.modifier_option_id) in owners,
                    )
                    for m in item.modifiers
                ],
            )
        )
    return [
        {
            "id": uuid7(),
            "merchant_id": payment.merchant_id,
            "location_id": payment.location_id,
            "sale_order_id": payment.sale_order_id,
            "sale_order_item_id": line.sale_order_item_id,
            "product_variant_id": line.product_variant_id,
            "modifier_option_id": line.modifier_option_id,
            "quantity": line.quantity,
            "sold_at": payment.occurred_at,
        }
        for line in unmapped_lines(sold)
    ]


async def record_unmapped_sales(
    connection: AsyncConnection | AsyncSession, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert the rows in the caller's transaction; rows already recorded stay as they are."""
    if rows:
        await connection.execute(
            pg_insert(t.unmapped_sale_line).values(list(rows)).on_conflict_do_nothing()
        )


async def withdraw_unmapped_sales(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    product_variant_id: uuid.UUID,
    sales: Sequence[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    """Withdraw the variant's own rows of these (sale order, location) sales: they depleted
    stock after all. Its modifier options' rows stay (theirs is a recipe's matter)."""
    if not sales:
        return
    line = t.unmapped_sale_line
    await session.execute(
        delete(line).where(
            line.c.merchant_id == merchant_id,
            line.c.sale_order_id.in_({order for order, _ in sales}),
            tuple_(line.c.sale_order_id, line.c.location_id).in_(sales),
            line.c.product_variant_id == product_variant_id,
            line.c.modifier_option_id.is_(None),
        )
    )
