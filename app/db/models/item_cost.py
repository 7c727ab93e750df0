"""The moving average unit cost of every stock item as of each change."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import enum_field, merchant_field, quantity_field, uuid7
from app.domain.enums import ItemType


class ItemCostChange(SQLModel, table=True):
    """One change of an item's average unit cost (per base unit, the merchant's purchase
    currency), at the time of the movement that caused it: the cost as of a moment is the
    last change strictly before it, the same half-open reading as onHandAt."""

    __tablename__ = "item_cost_change"
    __table_args__ = (
        # The cost as of a moment is one index-only probe.
        sa.Index(
            "ix_item_cost_change_item",
            "merchant_id",
            "item_id",
            "changed_at",
            "id",
            postgresql_include=["average_unit_cost"],
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    item_type: ItemType = enum_field(ItemType)
    # An inventory item's or a material's id (uuid7s never collide between the two).
    item_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    average_unit_cost: Decimal = quantity_field()
    changed_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    # What changed it, as the ledger names it (POREC/<order>, PRODUCTION/<production>).
    reference_type: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    reference_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
