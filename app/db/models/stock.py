"""Stock per (location, item), its append-only movement ledger, and kitchen effects."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import (
    enum_field,
    fk_field,
    flag_field,
    json_field,
    merchant_field,
    quantity_field,
    text_field,
    time_field,
    uuid7,
)
from app.domain.enums import ItemType, KitchenEffect, MovementType, ReferenceType
from app.domain.ledger_days import LATE_AFTER
from app.domain.reorder import FLOW_CANDIDATES

FLOWS_PREDICATE = "type IN ({})".format(", ".join(f"'{m.value}'" for m in sorted(FLOW_CANDIDATES)))
# app.domain.ledger_days.is_late in SQL. A literal interval, not a parameter: the planner
# only uses the partial index below for a query that spells its predicate the same way.
_LATE = f"interval '{int(LATE_AFTER.total_seconds())} seconds'"
LATE_SALE_PREDICATE = (
    f"sold_at IS NOT NULL AND (occurred_at - sold_at > {_LATE} OR sold_at - occurred_at > {_LATE})"
)


class Stock(SQLModel, table=True):
    __tablename__ = "stock"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "location_id", "inventory_item_id"),
        sa.UniqueConstraint("merchant_id", "location_id", "material_id"),
        sa.Index("ix_stock_merchant_id_location_id_id", "merchant_id", "location_id", "id"),
        sa.Index("ix_stock_merchant_id_id", "merchant_id", "id"),
        sa.Index("ix_stock_merchant_id_material_id", "merchant_id", "material_id"),
        sa.CheckConstraint(
            "(item_type = 'PRODUCT' AND inventory_item_id IS NOT NULL AND material_id IS NULL)"
            " OR (item_type = 'MATERIAL' AND material_id IS NOT NULL"
            " AND inventory_item_id IS NULL)",
            name="one_item",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = fk_field("location.id")
    item_type: ItemType = enum_field(ItemType)
    inventory_item_id: uuid.UUID | None = fk_field("inventory_item.id", nullable=True)
    material_id: uuid.UUID | None = fk_field("material.id", nullable=True)
    on_hand: Decimal = quantity_field(default=Decimal(0))
    reserved: Decimal = quantity_field(default=Decimal(0))
    available: Decimal | None = Field(
        default=None,
        sa_column=sa.Column(sa.Numeric, sa.Computed("on_hand - reserved", persisted=True)),
    )
    low_stock_threshold: Decimal | None = quantity_field(nullable=True)
    # What the shelf should hold after a delivery, and the level to order at (base unit).
    par_level: Decimal | None = quantity_field(nullable=True)
    reorder_point: Decimal | None = quantity_field(nullable=True)
    # +1 on every change: lets clients detect a gap in the realtime stream.
    version: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class StockMovement(SQLModel, table=True):
    """One row of the ledger. The unique key is what makes every consumer idempotent."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        sa.UniqueConstraint(
            "merchant_id",
            "reference_type",
            "reference_id",
            "stock_id",
            "type",
            "occurrence",
            name="uq_stock_movement_reference",
        ),
        # Carries on_hand_after, so on hand at a moment is an index-only probe.
        sa.Index(
            "ix_stock_movement_stock",
            "merchant_id",
            "stock_id",
            "occurred_at",
            "id",
            postgresql_include=["on_hand_after"],
        ),
        sa.Index("ix_stock_movement_location", "merchant_id", "location_id", "occurred_at"),
        sa.Index("ix_stock_movement_merchant_id_id", "merchant_id", "id"),
        # The few movements that bring stock in or move it away (receipts, transfers,
        # productions' output, adjustments), by location and time: usage over a period is
        # opening + these - closing, so it never reads the sales between them.
        sa.Index(
            "ix_stock_movement_flows",
            "merchant_id",
            "location_id",
            "occurred_at",
            postgresql_include=["stock_id", "type", "delta_on_hand"],
            postgresql_where=sa.text(FLOWS_PREDICATE),
        ),
        # Only the few sales written far from their payment's time (app/domain/ledger_days.py):
        # a payment written on time adds no entry, so the payment path pays a column only.
        sa.Index(
            "ix_stock_movement_late_sales",
            "merchant_id",
            "location_id",
            "sold_at",
            postgresql_where=sa.text(LATE_SALE_PREDICATE),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    stock_id: uuid.UUID = fk_field("stock.id")
    location_id: uuid.UUID = fk_field("location.id")
    type: MovementType = enum_field(MovementType)
    reference_type: ReferenceType = enum_field(ReferenceType)
    reference_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    # 1, but for a later return of a product on the same sale order (2, 3, …): returns
    # repeat under the sale order's id, and this keeps each one a key of its own.
    occurrence: int = Field(
        default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default=sa.text("1"))
    )
    delta_on_hand: Decimal = quantity_field(default=Decimal(0))
    delta_reserved: Decimal = quantity_field(default=Decimal(0))
    on_hand_after: Decimal = quantity_field()
    reserved_after: Decimal = quantity_field()
    reason: str | None = text_field()
    actor: str | None = text_field()
    # A paid sale is never refused; when it takes stock below zero the row says so.
    went_negative: bool = flag_field()
    # For sales: the recipe lines (item and modifiers) this reservation was computed from.
    recipe_snapshot: Any | None = json_field()
    # What the person typed when it was another unit than the base unit (else NULL).
    entered_quantity: Decimal | None = quantity_field(nullable=True)
    entered_unit: str | None = text_field()
    occurred_at: datetime = time_field()
    # A sale's movements (SALE, SALE_RESERVATION, the KITCHEN_RELEASE of a cancelled item):
    # the payment's occurredAt, by which a usage report counts them; NULL for the rest.
    sold_at: datetime | None = time_field(nullable=True)


class KitchenTicketEffect(SQLModel, table=True):
    """The single terminal effect (consume or release) of one kitchen ticket item.

    Recorded even when the payment has not arrived yet (`applied` false), so the
    later payment consumes or skips the reservation instead of leaving it open.
    """

    __tablename__ = "kitchen_ticket_effect"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "sale_order_id", "kitchen_ticket_item_id"),
        sa.Index(
            "ix_kitchen_ticket_effect_sale_order_item",
            "merchant_id",
            "sale_order_id",
            "sale_order_item_id",
        ),
    )

    merchant_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    sale_order_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    kitchen_ticket_item_id: uuid.UUID = Field(
        sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False)
    )
    sale_order_item_id: uuid.UUID = Field(
        sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False)
    )
    location_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    product_variant_id: uuid.UUID = Field(
        sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False)
    )
    quantity: Decimal = quantity_field()
    effect: KitchenEffect = enum_field(KitchenEffect)
    applied: bool = flag_field()
    event_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=True)
    )
    created_at: datetime = time_field()
    applied_at: datetime | None = time_field(nullable=True)


__all__ = ["KitchenTicketEffect", "Stock", "StockMovement", "uuid7"]
