"""What a batch of payments reads first, in one statement, once it holds its sale orders' locks.

It makes sure the merchant rows exist (CDC fills them in later), checks each payment's
location, finds the inventory items of the sold variants and the recipe lines of the
variants and modifiers, and tells per payment whether the slower reads of a
re-delivery (the recorded sale) or of early kitchen events (pending effects) are
needed at all: usually not. One statement for any number of payments and merchants.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, Text, and_, cast, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSON, aggregate_order_by
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import tables as t
from app.db.driver import DriverStatement, Transactional, driver_connection
from app.domain.enums import MovementType, RecipeOwner
from app.domain.errors import DomainError, UserErrorCode
from app.domain.sale import PaymentSucceeded, SoldProduct
from app.domain.sale_snapshot import RecipeBook, RecipeLine
from app.services.stock_ledger_sql import json_rows


@dataclass(frozen=True)
class PaymentSurroundings:
    # The sale order already has SALE or SALE_RESERVATION movements.
    paid: bool
    # Kitchen effects of the sale order arrived first and wait for the payment.
    pending_effects: bool
    # By product variant id; variants without an inventory item yet are absent.
    items: dict[uuid.UUID, SoldProduct]
    # The lines of every recipe of the sold variants and modifier options.
    recipes: RecipeBook


_merchant, _location, _item = t.merchant, t.location, t.inventory_item
_ledger, _effects = t.stock_movement, t.kitchen_ticket_effect
_recipe, _line = t.recipe, t.recipe_line
_uuid = PG_UUID(as_uuid=True)

# Rows in as one JSON array each, rows out as JSON arrays (quantities as text, so they
# stay exact), aggregated: one row answers everything.
_payments = json_rows(
    "payments", n=Integer(), merchant_id=_uuid, location_id=_uuid, sale_order_id=_uuid
)
_variants = json_rows("variants", merchant_id=_uuid, variant_id=_uuid)
_owners = json_rows("owners", merchant_id=_uuid, owner_type=Text(), owner_id=_uuid)

_flags = select(
    func.json_agg(
        aggregate_order_by(
            func.json_build_array(
                _payments.c.n,
                exists().where(
                    _location.c.merchant_id == _payments.c.merchant_id,
                    _location.c.id == _payments.c.location_id,
                ),
                exists().where(
                    _ledger.c.merchant_id == _payments.c.merchant_id,
                    _ledger.c.reference_type == literal_column("'SALE_ORDER'"),
                    _ledger.c.reference_id == cast(_payments.c.sale_order_id, Text),
                    or_(
                        _ledger.c.type == literal_column(f"'{MovementType.SALE.value}'"),
                        _ledger.c.type
                        == literal_column(f"'{MovementType.SALE_RESERVATION.value}'"),
                    ),
                ),
                exists().where(
                    _effects.c.merchant_id == _payments.c.merchant_id,
                    _effects.c.sale_order_id == _payments.c.sale_order_id,
                    _effects.c.applied.is_(False),
                ),
            ),
            _payments.c.n,
        ),
        type_=JSON,
    )
).scalar_subquery()

_items = (
    select(
        func.json_agg(
            func.json_build_array(
                _item.c.merchant_id,
                _item.c.product_variant_id,
                _item.c.id,
                _item.c.track_inventory,
                _item.c.provisional,
            ),
            type_=JSON,
        )
    )
    .select_from(
        _item.join(
            _variants,
            and_(
                _item.c.merchant_id == _variants.c.merchant_id,
                _item.c.product_variant_id == _variants.c.variant_id,
            ),
        )
    )
    .scalar_subquery()
)

_recipe_lines = (
    select(
        func.json_agg(
            aggregate_order_by(
                func.json_build_array(
                    _recipe.c.merchant_id,
                    _recipe.c.owner_type,
                    _recipe.c.owner_id,
                    _line.c.id,
                    _line.c.material_id,
                    cast(_line.c.quantity, Text),
                ),
                _recipe.c.merchant_id,
                _recipe.c.owner_id,
                _line.c.position,
                _line.c.id,
            ),
            type_=JSON,
        )
    )
    .select_from(
        _recipe.join(
            _owners,
            and_(
                _recipe.c.merchant_id == _owners.c.merchant_id,
                _recipe.c.owner_type == _owners.c.owner_type,
                _recipe.c.owner_id == _owners.c.owner_id,
            ),
        ).join(
            _line,
            and_(_line.c.recipe_id == _recipe.c.id, _line.c.merchant_id == _recipe.c.merchant_id),
        )
    )
    .scalar_subquery()
)

# New merchants in id order: two batches adding the same ones wait for each other.
_merchant_rows = (
    pg_insert(_merchant)
    .from_select(
        ["id"],
        select(_payments.c.merchant_id).distinct().order_by(_payments.c.merchant_id),
    )
    .on_conflict_do_nothing()
    .cte("merchant_rows")
)

LOOK_AROUND = DriverStatement(
    select(
        _flags.label("payments"),
        _items.label("items"),
        _recipe_lines.label("recipe_lines"),
    ).add_cte(_merchant_rows)
)


async def look_around(
    session: Transactional, payments: Sequence[PaymentSucceeded]
) -> list[PaymentSurroundings]:
    """Ensure the merchant rows, then what each payment needs to know first, in one
    statement.

    NOT_FOUND on ("locationId",) when a payment's location is not its merchant's; the
    caller's transaction then rolls back the merchant rows with everything else.
    """
    variants = sorted({(p.merchant_id, i.product_variant_id) for p in payments for i in p.items})
    options = sorted(
        {
            (p.merchant_id, m.modifier_option_id)
            for p in payments
            for i in p.items
            for m in i.modifiers
        }
    )
    row = await LOOK_AROUND.fetchrow(
        await driver_connection(session),
        {
            "payments": [
                {
                    "n": n,
                    "merchant_id": str(p.merchant_id),
                    "location_id": str(p.location_id),
                    "sale_order_id": str(p.sale_order_id),
                }
                for n, p in enumerate(payments)
            ],
            "variants": [{"merchant_id": str(m), "variant_id": str(v)} for m, v in variants],
            "owners": [
                *(
                    {"merchant_id": str(m), "owner_type": "PRODUCT_VARIANT", "owner_id": str(v)}
                    for m, v in variants
                ),
                *(
                    {"merchant_id": str(m), "owner_type": "MODIFIER_OPTION", "owner_id": str(o)}
                    for m, o in options
                ),
            ],
        },
    )
    assert row is not None  # one row, always
    items: dict[uuid.UUID, dict[uuid.UUID, SoldProduct]] = {}
    for merchant, variant, item, tracked, provisional in row["items"] or ():
        items.setdefault(uuid.UUID(merchant), {})[uuid.UUID(variant)] = SoldProduct(
            uuid.UUID(item), tracked, provisional
        )
    books = _books(row["recipe_lines"])
    found: list[PaymentSurroundings] = []
    for payment, (_, location_found, paid, pending) in zip(payments, row["payments"], strict=True):
        if not location_found:
            raise DomainError.one(
                UserErrorCode.NOT_FOUND,
                f"location {payment.location_id} not found",
                ("locationId",),
            )
        found.append(
            PaymentSurroundings(
                paid,
                pending,
                items.get(payment.merchant_id, {}),
                books.get(payment.merchant_id, {}),
            )
        )
    return found


def _books(lines: list[list[Any]] | None) -> dict[uuid.UUID, RecipeBook]:
    books: dict[uuid.UUID, dict[tuple[RecipeOwner, uuid.UUID], list[RecipeLine]]] = {}
    for merchant, owner_type, owner_id, line_id, material_id, quantity in lines or ():
        book = books.setdefault(uuid.UUID(merchant), {})
        book.setdefault((RecipeOwner(owner_type), uuid.UUID(owner_id)), []).append(
            RecipeLine(uuid.UUID(line_id), uuid.UUID(material_id), Decimal(quantity))
        )
    return dict(books)
