"""Sales of provisional items: recorded until the catalogue says whether they are tracked."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import merchant_field, quantity_field, time_field


class ProvisionalSale(SQLModel, table=True):
    """What one sale order sold at one location of an item created by a payment before
    the catalogue described it (inventory_item.provisional). When the catalogue first
    arrives saying the item is tracked, each row becomes the SALE movement the payment
    would have made; either way the rows are then deleted."""

    __tablename__ = "provisional_sale"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "inventory_item_id", "sale_order_id", "location_id"),
    )

    merchant_id: uuid.UUID = merchant_field()
    inventory_item_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    sale_order_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    location_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    quantity: Decimal = quantity_field()
    # Who sold it (the payment consumer's label): the deduction is written as theirs.
    actor: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    recorded_at: datetime = time_field()
    # The payment's occurredAt, which the deduction's SALE movement carries (sold_at).
    sold_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )
