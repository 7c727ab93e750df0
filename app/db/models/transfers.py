"""Material transfers between two locations of one merchant."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.models.base import (
    fk_field,
    merchant_field,
    quantity_field,
    text_field,
    time_field,
    uuid7,
)


class Transfer(SQLModel, table=True):
    __tablename__ = "transfer"
    __table_args__ = (
        sa.Index("ix_transfer_merchant_id_id", "merchant_id", "id"),
        sa.CheckConstraint("from_location_id <> to_location_id", name="distinct_locations"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    from_location_id: uuid.UUID = fk_field("location.id")
    to_location_id: uuid.UUID = fk_field("location.id")
    created_by: str | None = text_field()
    created_at: datetime = time_field()


class TransferLine(SQLModel, table=True):
    __tablename__ = "transfer_line"
    __table_args__ = (
        sa.Index("ix_transfer_line_transfer", "merchant_id", "transfer_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    transfer_id: uuid.UUID = fk_field("transfer.id")
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    material_id: uuid.UUID = fk_field("material.id")
    quantity: Decimal = quantity_field()  # base unit
    entered_quantity: Decimal | None = quantity_field(nullable=True)
    entered_unit: str | None = text_field()
