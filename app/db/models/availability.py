"""What the realtime path last told subscribers about a product's availability."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import merchant_field, quantity_field, time_field


class PublishedAvailability(SQLModel, table=True):
    """The availableToSell last published per (location, inventory item).

    `availabilityChanged` sends only changed values: a new value is compared with
    this row, which every instance of the shared realtime consumer reads and writes
    under one lock per location (see app/realtime/availability.py). A cache of what
    was sent, not a source of truth: losing it costs one extra message per product.
    """

    __tablename__ = "published_availability"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "location_id", "inventory_item_id"),)

    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    inventory_item_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    # NULL: not limited (untracked and without a recipe).
    available_to_sell: Decimal | None = quantity_field(nullable=True)
    # +1 per published change: orders the messages of one product at one location.
    version: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    updated_at: datetime = time_field()
