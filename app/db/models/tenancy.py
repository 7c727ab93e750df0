"""The tenant (merchant, from identity by CDC) and its locations."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db.models.base import flag_field, merchant_field, text_field, time_field, uuid7


class Merchant(SQLModel, table=True):
    __tablename__ = "merchant"

    # The id is identity's; it arrives by CDC or with the first event that names it.
    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    name: str | None = text_field()
    status: str | None = text_field()
    currency: str | None = text_field()
    timezone: str | None = text_field()
    source_lsn: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    created_at: datetime = time_field()
    updated_at: datetime = time_field()


class Location(SQLModel, table=True):
    __tablename__ = "location"
    __table_args__ = (
        # Exactly one default location per merchant.
        sa.Index(
            "uq_location_one_default",
            "merchant_id",
            unique=True,
            postgresql_where=sa.text("is_default"),
        ),
        sa.Index(
            "uq_location_merchant_id_code",
            "merchant_id",
            "code",
            unique=True,
            postgresql_where=sa.text("code IS NOT NULL"),
        ),
        sa.Index("ix_location_merchant_id_id", "merchant_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    code: str | None = text_field()
    address: str | None = text_field()
    is_default: bool = flag_field()
    archived: bool = flag_field()
    created_at: datetime = time_field()
    updated_at: datetime = time_field()
