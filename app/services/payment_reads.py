"""What a payment reads first, in one statement, once it holds its sale order's lock.

It makes sure the merchant row exists (CDC fills it in later), checks the location,
finds the inventory items of the sold variants and the recipe lines of the variants
and modifiers, and tells whether the slower reads of a re-delivery (the recorded
sale) or of early kitchen events (pending effects) are needed at all: usually not.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Text, and_, any_, bindparam, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY, JSON, aggregate_order_by
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import tables as t
from app.db.driver import DriverStatement, Transactional, driver_connection
from app.domain.enums import MovementType, RecipeOwner, ReferenceType
from app.domain.errors import DomainError, UserErrorCode
from app.services.recipe_snapshot import RecipeBook, RecipeLineRow


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
    items: dict[uuid.UUID, KnownItem]
    # The lines of every recipe of the sold variants and modifier options.
    recipes: RecipeBook


_merchant, _location, _item = t.merchant, t.location, t.inventory_item
_ledger, _effects = t.stock_movement, t.kitchen_ticket_effect
_recipe, _line = t.recipe, t.recipe_line
_merchant_id = bindparam("merchant_id", type_=_merchant.c.id.type)
_uuids = ARRAY(PG_UUID(as_uuid=True))
_variant_ids = bindparam("variant_ids", type_=_uuids)

# Rows as JSON arrays (quantities as text, so they stay exact), aggregated: one row
# answers everything, whatever the number of items and lines.
_items = (
    select(
        func.json_agg(
            func.json_build_array(_item.c.product_variant_id, _item.c.id, _item.c.track_inventory),
            type_=JSON,
        )
    )
    .where(_item.c.merchant_id == _merchant_id, _item.c.product_variant_id == any_(_variant_ids))
    .scalar_subquery()
)
_recipe_lines = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(
                    _recipe.c.owner_type,
                    _recipe.c.owner_id,
                    _line.c.id,
                    _line.c.material_id,
                    cast(_line.c.quantity, Text),
                ),
                _recipe.c.owner_id,
                _line.c.position,
                _line.c.id,
            ),
            type_=JSON,
        )
    )
    .select_from(_recipe.join(_line, _line.c.recipe_id == _recipe.c.id))
    .where(
        _recipe.c.merchant_id == _merchant_id,
        _line.c.merchant_id == _merchant_id,
        or_(
            and_(
                _recipe.c.owner_type == RecipeOwner.PRODUCT_VARIANT,
                _recipe.c.owner_id == any_(_variant_ids),
            ),
            and_(
                _recipe.c.owner_type == RecipeOwner.MODIFIER_OPTION,
                _recipe.c.owner_id == any_(bindparam("modifier_option_ids", type_=_uuids)),
            ),
        ),
    )
    .scalar_subquery()
)

_LOOK_AROUND = DriverStatement(
    select(
        exists()
        .where(_location.c.merchant_id == _merchant_id, _location.c.id == bindparam("location_id"))
        .label("location_found"),
        exists()
        .where(
            _ledger.c.merchant_id == _merchant_id,
            _ledger.c.reference_type == ReferenceType.SALE_ORDER,
            _ledger.c.reference_id == bindparam("reference_id"),
            # Not IN (...): a list of literals compiles to an expanding parameter.
            or_(
                _ledger.c.type == MovementType.SALE,
                _ledger.c.type == MovementType.SALE_RESERVATION,
            ),
        )
        .label("paid"),
        exists()
        .where(
            _effects.c.merchant_id == _merchant_id,
            _effects.c.sale_order_id == bindparam("sale_order_id"),
            _effects.c.applied.is_(False),
        )
        .label("pending_effects"),
        _items.label("items"),
        _recipe_lines.label("recipe_lines"),
    ).add_cte(
        pg_insert(_merchant).values(id=_merchant_id).on_conflict_do_nothing().cte("merchant_row")
    )
)


async def look_around(
    session: Transactional,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    sale_order_id: uuid.UUID,
    product_variant_ids: Sequence[uuid.UUID],
    modifier_option_ids: Sequence[uuid.UUID],
) -> PaymentSurroundings:
    """Ensure the merchant row, then what the payment needs to know first, in one statement.

    NOT_FOUND on ("locationId",) when the location is not the merchant's; the caller's
    transaction then rolls back the merchant row with everything else.
    """
    row = await _LOOK_AROUND.fetchrow(
        await driver_connection(session),
        {
            "merchant_id": merchant_id,
            "location_id": location_id,
            "reference_id": str(sale_order_id),
            "sale_order_id": sale_order_id,
            "variant_ids": sorted(set(product_variant_ids)),
            "modifier_option_ids": sorted(set(modifier_option_ids)),
        },
    )
    assert row is not None  # one row, always
    if not row["location_found"]:
        raise DomainError.one(
            UserErrorCode.NOT_FOUND, f"location {location_id} not found", ("locationId",)
        )
    items = {
        uuid.UUID(variant): KnownItem(uuid.UUID(item), tracked)
        for variant, item, tracked in row["items"] or ()
    }
    return PaymentSurroundings(
        row["paid"], row["pending_effects"], items, _book(row["recipe_lines"])
    )


def _book(lines: list[list[Any]] | None) -> RecipeBook:
    book: dict[tuple[RecipeOwner, uuid.UUID], list[RecipeLineRow]] = {}
    for owner_type, owner_id, line_id, material_id, quantity in lines or ():
        book.setdefault((RecipeOwner(owner_type), uuid.UUID(owner_id)), []).append(
            RecipeLineRow(uuid.UUID(line_id), uuid.UUID(material_id), Decimal(quantity))
        )
    return book
