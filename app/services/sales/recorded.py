"""What the database already holds of a sale order: its recorded sale and kitchen effects.

The payment's SALE and SALE_RESERVATION movements (with the recipe snapshot stored on
the reservations), and `kitchen_ticket_effect`: one row per kitchen ticket item with
its terminal effect, `applied` once its movements are in the ledger (a kitchen event
that came before its payment waits there, unapplied, for the payment to apply it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow
from app.domain.enums import KitchenEffect, MovementType, ReferenceType
from app.domain.kitchen import KitchenStatusChanged, RecordedEffect
from app.domain.sale_snapshot import RecordedSale, SaleSnapshot

_ledger, _effects = t.stock_movement, t.kitchen_ticket_effect


async def load_recorded_sale(
    session: AsyncSession, merchant_id: uuid.UUID, sale_order_id: uuid.UUID
) -> RecordedSale:
    """The sale order's SALE and SALE_RESERVATION movements, with the snapshot they stored."""
    rows = (
        await session.execute(
            select(
                _ledger.c.type,
                _ledger.c.location_id,
                _ledger.c.recipe_snapshot,
                _ledger.c.sold_at,
            ).where(
                _ledger.c.merchant_id == merchant_id,
                _ledger.c.reference_type == ReferenceType.SALE_ORDER,
                _ledger.c.reference_id == str(sale_order_id),
                _ledger.c.type.in_([MovementType.SALE, MovementType.SALE_RESERVATION]),
            )
        )
    ).all()
    snapshot = SaleSnapshot()
    sold_at = max((row.sold_at for row in rows if row.sold_at is not None), default=None)
    for row in rows:
        if MovementType(row.type) is MovementType.SALE_RESERVATION and row.recipe_snapshot:
            snapshot.merge_movement_json(row.location_id, row.recipe_snapshot)
    return RecordedSale(len(rows), snapshot, sold_at)


async def pending_effects(
    session: AsyncSession, merchant_id: uuid.UUID, sale_order_id: uuid.UUID
) -> list[RecordedEffect]:
    """Effects recorded before the payment of the sale order arrived, oldest first."""
    rows = await session.execute(
        select(
            _effects.c.kitchen_ticket_item_id,
            _effects.c.sale_order_item_id,
            _effects.c.quantity,
            _effects.c.effect,
        )
        .where(
            _effects.c.merchant_id == merchant_id,
            _effects.c.sale_order_id == sale_order_id,
            _effects.c.applied.is_(False),
        )
        .order_by(_effects.c.created_at, _effects.c.kitchen_ticket_item_id)
    )
    return [
        RecordedEffect(
            r.kitchen_ticket_item_id, r.sale_order_item_id, r.quantity, KitchenEffect(r.effect)
        )
        for r in rows
    ]


async def mark_applied(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    sale_order_id: uuid.UUID,
    kitchen_ticket_item_ids: Sequence[uuid.UUID],
) -> None:
    if not kitchen_ticket_item_ids:
        return
    await session.execute(
        update(_effects)
        .where(
            _effects.c.merchant_id == merchant_id,
            _effects.c.sale_order_id == sale_order_id,
            _effects.c.kitchen_ticket_item_id.in_(kitchen_ticket_item_ids),
        )
        .values(applied=True, applied_at=utcnow())
    )


async def has_effect(session: AsyncSession, event: KitchenStatusChanged) -> bool:
    found = await session.execute(
        select(_effects.c.effect).where(
            _effects.c.merchant_id == event.merchant_id,
            _effects.c.sale_order_id == event.sale_order_id,
            _effects.c.kitchen_ticket_item_id == event.kitchen_ticket_item_id,
        )
    )
    return found.first() is not None


async def record_effect(
    session: AsyncSession, event: KitchenStatusChanged, effect: KitchenEffect, *, applied: bool
) -> None:
    now = utcnow()
    await session.execute(
        pg_insert(_effects)
        .values(
            merchant_id=event.merchant_id,
            sale_order_id=event.sale_order_id,
            kitchen_ticket_item_id=event.kitchen_ticket_item_id,
            sale_order_item_id=event.sale_order_item_id,
            location_id=event.location_id,
            product_variant_id=event.product_variant_id,
            quantity=event.quantity,
            effect=effect,
            applied=applied,
            event_id=event.event_id,
            created_at=now,
            applied_at=now if applied else None,
        )
        .on_conflict_do_nothing()
    )
