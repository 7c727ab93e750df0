"""Productions: batches of a prep item made at a location (the ledger holds their moves)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.models.base import (
    fk_field,
    json_field,
    merchant_field,
    quantity_field,
    text_field,
    time_field,
    uuid7,
)


class Production(SQLModel, table=True):
    __tablename__ = "production"
    __table_args__ = (
        sa.Index("ix_production_merchant_id_id", "merchant_id", "id"),
        sa.Index("ix_production_merchant_id_location_id", "merchant_id", "location_id", "id"),
        sa.Index("ix_production_merchant_id_material_id", "merchant_id", "material_id", "id"),
        sa.CheckConstraint("quantity_produced > 0", name="quantity_produced_positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = fk_field("location.id")
    material_id: uuid.UUID = fk_field("material.id")  # the prep item made
    quantity_produced: Decimal = quantity_field()  # base unit: the actual yield
    batches: Decimal = quantity_field()
    # What was used: [{"materialId", "quantity" (base), "enteredQuantity", "enteredUnit"}].
    consumed: Any = json_field(nullable=False)
    reason: str | None = text_field()
    actor: str | None = text_field()
    produced_at: datetime = time_field()


class ProductionRecipeLine(SQLModel, table=True):
    """The prep recipe a production was made by, each line scaled to what it made (base
    unit, rounded once as the consumption is): what the usage report explains the
    production by, whatever the recipe became since."""

    __tablename__ = "production_recipe_line"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "production_id", "material_id"),)

    merchant_id: uuid.UUID = merchant_field()
    production_id: uuid.UUID = fk_field("production.id")
    material_id: uuid.UUID = fk_field("material.id")
    quantity: Decimal = quantity_field()
