"""Kitchen ticket item status → consume or release the materials a sale reserved.

READY or SERVED consumes (on hand and reserved fall together), CANCELLED before
that releases (reserved falls), PENDING and PREPARING change nothing. Each kitchen
ticket item has at most one terminal effect, recorded in `kitchen_ticket_effect`.
The amounts come from the recipe snapshot the payment stored on its reservation
movements. When the kitchen event comes first, its effect is recorded unapplied and
the payment applies it right after reserving (see `apply_payment`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.driver import DriverStatement, Transactional, driver_connection
from app.db.models.base import utcnow
from app.domain.enums import KitchenEffect, KitchenStatus, MovementType, ReferenceType
from app.domain.quantities import require_positive
from app.services.context import Actor
from app.services.merchants import require_location
from app.services.recipe_snapshot import ItemSnapshot, load_recorded_sale
from app.services.stock_ledger import Move, apply_moves, lock_stocks

_CONSUMING = frozenset({KitchenStatus.READY, KitchenStatus.SERVED})
_LOCK_SALE_ORDER = DriverStatement(
    select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=String), 0)))
)


@dataclass(frozen=True)
class KitchenStatusChanged:
    event_id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    sale_order_id: uuid.UUID
    sale_order_item_id: uuid.UUID
    kitchen_ticket_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    quantity: Decimal
    status: KitchenStatus
    occurred_at: datetime
    # The contract's optional previousStatus: a CANCELLED after READY/SERVED consumed.
    previous_status: KitchenStatus | None = None


@dataclass(frozen=True)
class KitchenOutcome:
    # The terminal effect this event stands for; None for PENDING and PREPARING.
    effect: KitchenEffect | None
    movements_applied: int = 0
    # Recorded, but the payment has not arrived: it will apply the effect.
    pending: bool = False
    # The ticket item already had its terminal effect: this event changed nothing.
    duplicate: bool = False


@dataclass(frozen=True)
class RecordedEffect:
    kitchen_ticket_item_id: uuid.UUID
    sale_order_item_id: uuid.UUID
    quantity: Decimal
    effect: KitchenEffect


def terminal_effect(
    status: KitchenStatus, previous_status: KitchenStatus | None = None
) -> KitchenEffect | None:
    """The effect a status stands for. A CANCELLED whose previous status was READY or
    SERVED comes after a consumption, so it stands for that consumption: whichever of
    the two events arrives first then records the same effect."""
    if status in _CONSUMING:
        return KitchenEffect.CONSUMED
    if status is KitchenStatus.CANCELLED:
        return KitchenEffect.CONSUMED if previous_status in _CONSUMING else KitchenEffect.RELEASED
    return None


def sale_order_lock_key(merchant_id: uuid.UUID, sale_order_id: uuid.UUID) -> str:
    """The advisory lock key of a sale order (see `lock_sale_order`)."""
    return f"sale-order:{merchant_id}:{sale_order_id}"


async def lock_sale_order(
    session: Transactional, merchant_id: uuid.UUID, sale_order_id: uuid.UUID
) -> None:
    """Serialize, until commit, every payment and kitchen event of one sale order.

    A transaction-scoped advisory lock on a hash of (merchant, sale order): there is no
    sale order row to lock (the first event of an order may be either kind), and a
    payment cannot lock kitchen rows that do not exist yet. Holding it, a kitchen event
    either sees the payment's snapshot or leaves a pending effect the payment will see;
    the two can never both miss each other. It is taken before any stock lock, in both
    flows, so it adds no deadlock; a hash collision only serializes two unrelated orders.
    """
    key = sale_order_lock_key(merchant_id, sale_order_id)
    await _LOCK_SALE_ORDER.fetch(await driver_connection(session), {"key": key})


async def apply_kitchen_status(
    sessions: async_sessionmaker[AsyncSession],
    event: KitchenStatusChanged,
    *,
    actor_label: str = "consumer:kitchen-ticket-item.status-changed",
) -> KitchenOutcome:
    """Apply a kitchen ticket item status change; at most one terminal effect per ticket item.

    Duplicates and any terminal status after the first change nothing. Before the
    payment arrives the effect is only recorded (`pending`). The location must be the
    merchant's, else NOT_FOUND.
    """
    effect = terminal_effect(event.status, event.previous_status)
    if effect is None:
        return KitchenOutcome(None)
    require_positive(event.quantity, ("quantity",))
    actor = Actor(event.merchant_id, actor_label)
    async with sessions.begin() as session:
        await lock_sale_order(session, event.merchant_id, event.sale_order_id)
        await require_location(session, event.merchant_id, event.location_id, ("locationId",))
        if await _has_effect(session, event):
            return KitchenOutcome(effect, duplicate=True)
        sale = await load_recorded_sale(session, event.merchant_id, event.sale_order_id)
        recorded = RecordedEffect(
            event.kitchen_ticket_item_id, event.sale_order_item_id, event.quantity, effect
        )
        item = sale.snapshot.items.get(event.sale_order_item_id)
        applied = 0
        if item is not None:
            moves = effect_moves(item, recorded)
            stocks = await lock_stocks(session, event.merchant_id, [m.key for m in moves])
            applied = len((await apply_moves(session, actor, stocks, moves)).applied)
        # Paid but nothing reserved for this item (no recipe): nothing to wait for.
        await _record(session, event, effect, applied=sale.paid or item is not None)
    return KitchenOutcome(effect, applied, pending=not sale.paid and item is None)


def effect_moves(item: ItemSnapshot, recorded: RecordedEffect) -> list[Move]:
    """The consumption or release of one ticket item's share of a sale order item."""
    consumed = recorded.effect is KitchenEffect.CONSUMED
    return [
        Move(
            key,
            MovementType.KITCHEN_CONSUMPTION if consumed else MovementType.KITCHEN_RELEASE,
            ReferenceType.KITCHEN_TICKET_ITEM,
            str(recorded.kitchen_ticket_item_id),
            delta_on_hand=-amount if consumed else Decimal(0),
            delta_reserved=-amount,
            reason=f"kitchen {recorded.effect.value.lower()}",
        )
        for key, amount in sorted(item.materials_for(recorded.quantity).items())
    ]


async def pending_effects(
    session: AsyncSession, merchant_id: uuid.UUID, sale_order_id: uuid.UUID
) -> list[RecordedEffect]:
    """Effects recorded before the payment of the sale order arrived, oldest first."""
    effects = t.kitchen_ticket_effect
    rows = await session.execute(
        select(
            effects.c.kitchen_ticket_item_id,
            effects.c.sale_order_item_id,
            effects.c.quantity,
            effects.c.effect,
        )
        .where(
            effects.c.merchant_id == merchant_id,
            effects.c.sale_order_id == sale_order_id,
            effects.c.applied.is_(False),
        )
        .order_by(effects.c.created_at, effects.c.kitchen_ticket_item_id)
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
    effects = t.kitchen_ticket_effect
    await session.execute(
        update(effects)
        .where(
            effects.c.merchant_id == merchant_id,
            effects.c.sale_order_id == sale_order_id,
            effects.c.kitchen_ticket_item_id.in_(kitchen_ticket_item_ids),
        )
        .values(applied=True, applied_at=utcnow())
    )


async def _has_effect(session: AsyncSession, event: KitchenStatusChanged) -> bool:
    effects = t.kitchen_ticket_effect
    found = await session.execute(
        select(effects.c.effect).where(
            effects.c.merchant_id == event.merchant_id,
            effects.c.sale_order_id == event.sale_order_id,
            effects.c.kitchen_ticket_item_id == event.kitchen_ticket_item_id,
        )
    )
    return found.first() is not None


async def _record(
    session: AsyncSession, event: KitchenStatusChanged, effect: KitchenEffect, *, applied: bool
) -> None:
    now = utcnow()
    await session.execute(
        pg_insert(t.kitchen_ticket_effect)
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
