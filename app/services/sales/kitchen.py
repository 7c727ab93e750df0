"""Kitchen ticket item status → consume or release the materials its sale reserved.

What a status does is the domain's (`app.domain.kitchen`); here it is loaded and
written. Each kitchen ticket item has at most one terminal effect, recorded in
`kitchen_ticket_effect`. When the kitchen event comes first, its effect is recorded
unapplied and the payment applies it right after reserving (`plans.plan_payment`).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.db.unit_of_work import UnitOfWork
from app.domain.enums import KitchenEffect
from app.domain.kitchen import KitchenStatusChanged, RecordedEffect, effect_moves, terminal_effect
from app.domain.quantities import require_positive
from app.services.context import Actor
from app.services.merchants import require_location
from app.services.sales.recorded import has_effect, load_recorded_sale, record_effect
from app.services.sales.sale_order_lock import sale_order_lock_key
from app.services.stock_ledger import apply_moves, lock_stocks


@dataclass(frozen=True)
class KitchenOutcome:
    # The terminal effect this event stands for; None for PENDING and PREPARING.
    effect: KitchenEffect | None
    movements_applied: int = 0
    # Recorded, but the payment has not arrived: it will apply the effect.
    pending: bool = False
    # The ticket item already had its terminal effect: this event changed nothing.
    duplicate: bool = False


async def apply_kitchen_status(
    uow: UnitOfWork,
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
    lock_key = sale_order_lock_key(event.merchant_id, event.sale_order_id)
    async with uow.transaction(lock_keys=[lock_key]) as session:
        await require_location(session, event.merchant_id, event.location_id, ("locationId",))
        if await has_effect(session, event):
            return KitchenOutcome(effect, duplicate=True)
        sale = await load_recorded_sale(session, event.merchant_id, event.sale_order_id)
        recorded = RecordedEffect(
            event.kitchen_ticket_item_id, event.sale_order_item_id, event.quantity, effect
        )
        item = sale.snapshot.items.get(event.sale_order_item_id)
        applied = 0
        if item is not None:
            moves = effect_moves(item, recorded, sale.sold_at)
            stocks = await lock_stocks(session, event.merchant_id, [m.key for m in moves])
            applied = len((await apply_moves(session, actor, stocks, moves)).applied)
        # Paid but nothing reserved for this item (no recipe): nothing to wait for.
        await record_effect(session, event, effect, applied=sale.paid or item is not None)
    return KitchenOutcome(effect, applied, pending=not sale.paid and item is None)
