"""Sale lines that depleted nothing (an untracked product without a recipe, a modifier
option without one), recorded as payments are applied."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import merchant_field, quantity_field, time_field, uuid7


def _uuid(*, nullable: bool = False) -> sa.Column[uuid.UUID]:
    return sa.Column(pg.UUID(as_uuid=True), nullable=nullable)


class UnmappedSaleLine(SQLModel, table=True):
    __tablename__ = "unmapped_sale_line"
    __table_args__ = (
        # One row per sale order item (and modifier option): a re-delivered payment adds
        # nothing. NULLS NOT DISTINCT: the item's own row has no modifier option.
        sa.UniqueConstraint(
            "merchant_id",
            "sale_order_id",
            "sale_order_item_id",
            "modifier_option_id",
            postgresql_nulls_not_distinct=True,
        ),
        sa.Index("ix_unmapped_sale_line_period", "merchant_id", "location_id", "sold_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = Field(sa_column=_uuid())
    sale_order_id: uuid.UUID = Field(sa_column=_uuid())
    sale_order_item_id: uuid.UUID = Field(sa_column=_uuid())
    product_variant_id: uuid.UUID = Field(sa_column=_uuid())
    modifier_option_id: uuid.UUID | None = Field(default=None, sa_column=_uuid(nullable=True))
    quantity: Decimal = quantity_field()
    # The payment's occurredAt.
    sold_at: datetime = time_field()


__all__ = ["UnmappedSaleLine"]
