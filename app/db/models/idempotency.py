"""Stored results of user-initiated writes, keyed by the caller's idempotency key."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import time_field


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (
        sa.PrimaryKeyConstraint("merchant_id", "key"),
        sa.Index("ix_idempotency_key_created_at", "created_at"),
    )

    merchant_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    key: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    operation: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    request_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    response: Any = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    created_at: datetime = time_field()
