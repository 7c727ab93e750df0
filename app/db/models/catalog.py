"""What can be stocked: inventory items (product variants), materials, and recipes."""

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
    merchant_field,
    quantity_field,
    text_field,
    time_field,
    units_field,
    uuid7,
)
from app.domain.enums import RecipeOwner


class InventoryItem(SQLModel, table=True):
    """One per sellable product variant; commerce owns the variant, we own its stock."""

    __tablename__ = "inventory_item"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "product_variant_id"),
        sa.Index("ix_inventory_item_merchant_id_id", "merchant_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    product_variant_id: uuid.UUID = Field(
        sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False)
    )
    product_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=True)
    )
    sku: str | None = text_field()
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    track_inventory: bool = flag_field()
    unit: str = Field(default="pcs", sa_column=sa.Column(sa.Text, nullable=False))
    units: Any = units_field()
    archived: bool = flag_field()
    # Created by a payment naming a variant the catalogue had not described yet: its sales
    # are recorded (provisional_sale) until the catalogue first says whether it is tracked.
    provisional: bool = flag_field()
    # Moving average per base unit, in the merchant's purchase currency (see item_cost).
    average_unit_cost: Decimal | None = quantity_field(nullable=True)
    # Debezium source position of the last CDC change applied; older changes are ignored.
    source_lsn: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class Material(SQLModel, table=True):
    """An ingredient or supply, counted in its base unit; `units` are its own packs and portions."""

    __tablename__ = "material"
    __table_args__ = (sa.Index("ix_material_merchant_id_id", "merchant_id", "id"),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sku: str | None = text_field()
    unit: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    units: Any = units_field()
    archived: bool = flag_field()
    average_unit_cost: Decimal | None = quantity_field(nullable=True)
    # Threshold given to this material's stocks when they are created.
    default_low_stock_threshold: Decimal | None = quantity_field(nullable=True)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class Recipe(SQLModel, table=True):
    """The recipe of a product variant or of a modifier option (keyed by commerce's ids)."""

    __tablename__ = "recipe"
    __table_args__ = (sa.UniqueConstraint("merchant_id", "owner_type", "owner_id"),)

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    owner_type: RecipeOwner = enum_field(RecipeOwner)
    owner_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    # Prep recipes only: what one batch makes, in the prep item's base unit.
    yield_quantity: Decimal | None = quantity_field(nullable=True)
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class RecipeLine(SQLModel, table=True):
    __tablename__ = "recipe_line"
    __table_args__ = (
        sa.UniqueConstraint("merchant_id", "recipe_id", "material_id"),
        # Which recipes use a material: the availability fan-out of a material change.
        sa.Index("ix_recipe_line_merchant_id_material_id", "merchant_id", "material_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    recipe_id: uuid.UUID = Field(
        sa_column=sa.Column(
            pg.UUID(as_uuid=True), sa.ForeignKey("recipe.id", ondelete="CASCADE"), nullable=False
        )
    )
    material_id: uuid.UUID = fk_field("material.id")
    # In the material's base unit, converted once when the recipe was set.
    quantity: Decimal = quantity_field()
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    # As entered; NULL: entered in the base unit (quantity is then what was entered).
    entered_quantity: Decimal | None = quantity_field(nullable=True)
    entered_unit: str | None = text_field()
