"""What a kitchen ticket item's status does to the materials its sale reserved.

READY or SERVED consumes (on hand and reserved fall together), CANCELLED before that
releases (reserved falls), PENDING and PREPARING change nothing. A ticket item has at
most one such effect, and its amounts come from the snapshot the payment reserved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from app.domain.enums import KitchenEffect, KitchenStatus, MovementType, ReferenceType
from app.domain.moves import Move
from app.domain.sale_snapshot import ItemSnapshot

_CONSUMING = frozenset({KitchenStatus.READY, KitchenStatus.SERVED})


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
class RecordedEffect:
    """A ticket item's terminal effect, as recorded (perhaps before its payment came)."""

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


def effect_moves(
    item: ItemSnapshot, recorded: RecordedEffect, sold_at: datetime | None = None
) -> list[Move]:
    """The consumption or release of one ticket item's share of a sale order item: what
    was reserved per unit times the ticket's quantity, never more units than were sold.
    A release takes back part of the sale, so it carries the sale's payment time
    (`sold_at`); a consumption is the kitchen's own, dated when it is written."""
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
            sold_at=None if consumed else sold_at,
        )
        for key, amount in sorted(item.materials_for(recorded.quantity).items())
    ]
