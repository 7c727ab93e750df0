"""Events to publish, written in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import text_field, time_field, uuid7


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    __table_args__ = (
        # The relay's work queue: unsent rows in commit order.
        sa.Index("ix_outbox_event_unsent", "seq", postgresql_where=sa.text("sent_at IS NULL")),
        # Per-key order: is an older row of this key still unsent?
        sa.Index(
            "ix_outbox_event_unsent_key",
            "topic",
            "key",
            "seq",
            postgresql_where=sa.text("sent_at IS NULL"),
        ),
        sa.Index(
            "ix_outbox_event_sent_at", "sent_at", postgresql_where=sa.text("sent_at IS NOT NULL")
        ),
    )

    # seq orders rows; id is the published eventId.
    seq: int | None = Field(
        default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True)
    )
    id: uuid.UUID = Field(
        default_factory=uuid7,
        sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False, unique=True),
    )
    merchant_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    topic: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    key: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    event_type: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    payload: Any = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    request_id: str | None = text_field()
    created_at: datetime = time_field()
    attempts: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )
    next_attempt_at: datetime | None = time_field(nullable=True)
    last_error: str | None = text_field()
    sent_at: datetime | None = time_field(nullable=True)
