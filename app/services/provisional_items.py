"""Provisional items in the database: the payment's hook that records their sales, and the
catalogue's takeover that deducts them (rules in app/domain/provisional_items.py).

Races are settled by the item row's lock: a payment recording a provisional sale holds
the row FOR SHARE and re-reads the flags under it; the catalogue's upsert holds it FOR
UPDATE while it clears the flag and takes the recorded sales. So a sale is either
recorded before the takeover (and deducted by it) or sees the item as the catalogue
left it (and is deducted, or not, by the payment itself, as for any item).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import MovementType, ReferenceType
from app.domain.provisional_items import (
    ProvisionalSaleLine,
    catalogue_takes_over,
    sale_lines,
    sales_to_deduct,
)
from app.domain.sale import PaymentSucceeded, SoldProduct
from app.services.context import Actor
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.services.unmapped_sales import withdraw_unmapped_sales

_item, _sale = t.inventory_item, t.provisional_sale


async def hold_provisional_sales(
    session: AsyncSession,
    payments: Sequence[PaymentSucceeded],
    items: dict[uuid.UUID, dict[uuid.UUID, SoldProduct]],
    actor_label: str,
) -> None:
    """Record what `payments` sold of provisional items, once per sale order and location.

    `items` (per merchant, by variant) is updated in place with the flags read under the
    lock, so an item the catalogue took over meanwhile is sold as it now is. Nothing is
    read when no sold item is provisional (the usual case).
    """
    held = sorted(k.id for per in items.values() for k in per.values() if k.provisional)
    if not held:
        return
    rows = await session.execute(
        select(_item.c.merchant_id, _item.c.product_variant_id, _item.c.id)
        .add_columns(_item.c.track_inventory, _item.c.provisional)
        .where(_item.c.id.in_(held))
        .order_by(_item.c.id)
        .with_for_update(read=True)
    )
    for row in rows:
        items[row.merchant_id][row.product_variant_id] = SoldProduct(
            row.id, row.track_inventory, row.provisional
        )
    lines: dict[tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID], ProvisionalSaleLine] = {}
    for payment in payments:
        known = items[payment.merchant_id]
        sold: dict[uuid.UUID, list[Decimal]] = {}
        for line in payment.items:
            item = known[line.product_variant_id]
            if item.provisional:
                sold.setdefault(item.id, []).append(line.quantity)
        for item_id, quantities in sold.items():
            key = (payment.merchant_id, item_id, payment.sale_order_id, payment.location_id)
            # A second payment of the sale order in the batch is a re-delivery: the first counts.
            lines.setdefault(
                key,
                sale_lines(
                    payment.sale_order_id, payment.location_id, quantities, payment.occurred_at
                ),
            )
    if lines:
        await session.execute(
            pg_insert(_sale)
            .values(
                [
                    {
                        "merchant_id": merchant_id,
                        "inventory_item_id": item_id,
                        "sale_order_id": line.sale_order_id,
                        "location_id": line.location_id,
                        "quantity": line.quantity,
                        "actor": actor_label,
                        "sold_at": line.sold_at,
                    }
                    for (merchant_id, item_id, _, _), line in sorted(lines.items())
                ]
            )
            .on_conflict_do_nothing()
        )


@dataclass(frozen=True)
class Takeover:
    """The catalogue's first word on a provisional item, and what it had recorded."""

    tracked: bool
    product_variant_id: uuid.UUID
    # (the seller's actor label, the sale) per recorded row.
    sales: tuple[tuple[str, ProvisionalSaleLine], ...]


async def take_over(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_id: uuid.UUID,
    stated_tracking: bool | None,
) -> Takeover | None:
    """Clear the provisional flag when the catalogue states tracking, taking the recorded
    sales with it; None when the item is not provisional (or tracking went unsaid). Run
    right after the catalogue's upsert of the item, which holds the row locked."""
    if not catalogue_takes_over(True, stated_tracking):
        return None
    cleared = (
        await session.execute(
            update(_item)
            .where(_item.c.merchant_id == merchant_id, _item.c.id == item_id, _item.c.provisional)
            .values(provisional=False)
            .returning(_item.c.track_inventory, _item.c.product_variant_id)
        )
    ).one_or_none()
    if cleared is None:
        return None
    recorded = await session.execute(
        delete(_sale)
        .where(_sale.c.merchant_id == merchant_id, _sale.c.inventory_item_id == item_id)
        .returning(
            _sale.c.actor,
            _sale.c.sale_order_id,
            _sale.c.location_id,
            _sale.c.quantity,
            _sale.c.sold_at,
        )
    )
    sales = tuple(
        (
            row.actor,
            ProvisionalSaleLine(row.sale_order_id, row.location_id, row.quantity, row.sold_at),
        )
        for row in recorded
    )
    return Takeover(cleared.track_inventory, cleared.product_variant_id, sales)


async def deduct_recorded_sales(
    session: AsyncSession, actor: Actor, item_id: uuid.UUID, takeover: Takeover
) -> None:
    """The SALE movements the payments would have made (their sale orders, their
    locations, as their actors), with their stock-changed events; none when untracked.
    The sales deducted are withdrawn from the unmapped sales."""
    by_actor = sorted(takeover.sales, key=lambda sale: sale[0])
    deducted: list[ProvisionalSaleLine] = []
    for label, sales in groupby(by_actor, key=lambda sale: sale[0]):
        lines = sales_to_deduct(takeover.tracked, (line for _, line in sales))
        if not lines:
            continue
        deducted.extend(lines)
        moves = [
            Move(
                StockKey.product(line.location_id, item_id),
                MovementType.SALE,
                ReferenceType.SALE_ORDER,
                str(line.sale_order_id),
                delta_on_hand=-line.quantity,
                sold_at=line.sold_at,
            )
            for line in lines
        ]
        seller = Actor(actor.merchant_id, label, actor.request_id)
        stocks = await lock_stocks(session, actor.merchant_id, [move.key for move in moves])
        await apply_moves(session, seller, stocks, moves)
    await withdraw_unmapped_sales(
        session,
        actor.merchant_id,
        takeover.product_variant_id,
        [(line.sale_order_id, line.location_id) for line in deducted],
    )
