"""Vendors and purchase orders with their lines and payments."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
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
from app.domain.enums import ItemType, PurchaseOrderStatus


class Vendor(SQLModel, table=True):
    __tablename__ = "vendor"
    __table_args__ = (sa.Index("ix_vendor_merchant_id_id", "merchant_id", "id"),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    tax_id: str | None = text_field()
    email: str | None = text_field()
    phone: str | None = text_field()
    address: str | None = text_field()
    archived: bool = flag_field()
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_order"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "number"),
        sa.Index("ix_purchase_order_merchant_id_status", "merchant_id", "status", "id"),
        sa.Index("ix_purchase_order_merchant_id_location_id", "merchant_id", "location_id"),
        sa.Index("ix_purchase_order_merchant_id_id", "merchant_id", "id"),
        # A purchase order is received once, so it has at most one backorder.
        sa.Index(
            "ix_purchase_order_merchant_id_backorder_of_id",
            "merchant_id",
            "backorder_of_id",
            unique=True,
            postgresql_where=sa.text("backorder_of_id IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    number: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: PurchaseOrderStatus = enum_field(PurchaseOrderStatus)
    location_id: uuid.UUID = fk_field("location.id")
    vendor_id: uuid.UUID = fk_field("vendor.id")
    vendor_snapshot: Any | None = json_field()
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    received_at: datetime | None = time_field(nullable=True)
    received_by: str | None = text_field()
    # The order whose short receipt this one takes the rest of.
    backorder_of_id: uuid.UUID | None = fk_field("purchase_order.id", nullable=True)
    created_by: str | None = text_field()
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class PurchaseOrderLine(SQLModel, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        sa.Index("ix_purchase_order_line_order", "merchant_id", "purchase_order_id"),
        sa.CheckConstraint("quantity_ordered > 0", name="quantity_ordered_positive"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint(
            "(item_type = 'PRODUCT' AND inventory_item_id IS NOT NULL AND material_id IS NULL)"
            " OR (item_type = 'MATERIAL' AND material_id IS NOT NULL"
            " AND inventory_item_id IS NULL)",
            name="one_item",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    purchase_order_id: uuid.UUID = fk_field("purchase_order.id")
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    item_type: ItemType = enum_field(ItemType)
    inventory_item_id: uuid.UUID | None = fk_field("inventory_item.id", nullable=True)
    material_id: uuid.UUID | None = fk_field("material.id", nullable=True)
    # In the item's base unit: what stock, incoming and average costs read.
    quantity_ordered: Decimal = quantity_field()
    quantity_received: Decimal | None = quantity_field(nullable=True)
    unit_cost: Decimal = quantity_field()  # per base unit, at least 10 places
    # As entered, per `unit` (NULL: the base unit, and the entered values are the above).
    unit: str | None = text_field()
    entered_quantity_ordered: Decimal | None = quantity_field(nullable=True)
    entered_quantity_received: Decimal | None = quantity_field(nullable=True)
    entered_unit_cost: Decimal | None = quantity_field(nullable=True)


class PurchaseOrderPayment(SQLModel, table=True):
    __tablename__ = "purchase_order_payment"
    __table_args__ = (
        sa.Index("ix_purchase_order_payment_order", "merchant_id", "purchase_order_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    purchase_order_id: uuid.UUID = fk_field("purchase_order.id")
    method: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    amount: Decimal = quantity_field()
    paid_at: datetime | None = time_field(nullable=True)
    reference: str | None = text_field()
    created_at: datetime = time_field()
