"""What a payment reads first, in one statement, once it holds its sale order's lock.

It makes sure the merchant row exists (CDC fills it in later), checks the location,
finds the inventory items of the sold variants, and tells whether the slower reads a
re-delivery (the recorded sale) or early kitchen events (pending effects) need are
needed at all: in the usual case they are not.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import DomainError, UserErrorCode


@dataclass(frozen=True)
class KnownItem:
    id: uuid.UUID
    track_inventory: bool


@dataclass(frozen=True)
class PaymentSurroundings:
    # The sale order already has SALE or SALE_RESERVATION movements.
    paid: bool
    # Kitchen effects of the sale order arrived first and wait for the payment.
    pending_effects: bool
    # By product variant id; variants without an inventory item yet are absent.
    items: dict[uuid.UUID, KnownItem] = field(default_factory=dict)


_merchant, _location, _item = t.merchant, t.location, t.inventory_item
_ledger, _effects = t.stock_movement, t.kitchen_ticket_effect
_merchant_id = bindparam("merchant_id", type_=_merchant.c.id.type)

_around = select(
    exists()
    .where(_location.c.merchant_id == _merchant_id, _location.c.id == bindparam("location_id"))
    .label("location_found"),
    exists()
    .where(
        _ledger.c.merchant_id == _merchant_id,
        _ledger.c.reference_type == ReferenceType.SALE_ORDER,
        _ledger.c.reference_id == bindparam("reference_id"),
        _ledger.c.type.in_([MovementType.SALE, MovementType.SALE_RESERVATION]),
    )
    .label("paid"),
    exists()
    .where(
        _effects.c.merchant_id == _merchant_id,
        _effects.c.sale_order_id == bindparam("sale_order_id"),
        _effects.c.applied.is_(False),
    )
    .label("pending_effects"),
).subquery("around")

# One row per known item (one row of NULL items when none is known).
_LOOK_AROUND = (
    select(
        _around.c.location_found,
        _around.c.paid,
        _around.c.pending_effects,
        _item.c.product_variant_id,
        _item.c.id,
        _item.c.track_inventory,
    )
    .select_from(
        _around.outerjoin(
            _item,
            and_(
                _item.c.merchant_id == _merchant_id,
                _item.c.product_variant_id.in_(bindparam("variant_ids", expanding=True)),
            ),
        )
    )
    .add_cte(
        pg_insert(_merchant).values(id=_merchant_id).on_conflict_do_nothing().cte("merchant_row")
    )
)


async def look_around(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    sale_order_id: uuid.UUID,
    product_variant_ids: Sequence[uuid.UUID],
) -> PaymentSurroundings:
    """Ensure the merchant row, then what the payment needs to know first, in one statement.

    NOT_FOUND on ("locationId",) when the location is not the merchant's; the caller's
    transaction then rolls back the merchant row with everything else.
    """
    rows = (
        await session.execute(
            _LOOK_AROUND,
            {
                "merchant_id": merchant_id,
                "location_id": location_id,
                "reference_id": str(sale_order_id),
                "sale_order_id": sale_order_id,
                "variant_ids": list(product_variant_ids),
            },
        )
    ).all()
    first = rows[0]
    if not first.location_found:
        raise DomainError.one(
            UserErrorCode.NOT_FOUND, f"location {location_id} not found", ("locationId",)
        )
    items = {
        r.product_variant_id: KnownItem(r.id, r.track_inventory) for r in rows if r.id is not None
    }
    return PaymentSurroundings(first.paid, first.pending_effects, items)
