"""Count sessions (stock-takes): the session, its lines (one per stock) and their entries."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import (
    enum_field,
    fk_field,
    merchant_field,
    quantity_field,
    text_field,
    time_field,
    uuid7,
)
from app.domain.enums import CountScope, CountStatus, ItemType


class CountSession(SQLModel, table=True):
    """A stock-take at one location, standing for one moment (`counted_at`)."""

    __tablename__ = "count_session"
    __table_args__ = (
        sa.Index("ix_count_session_merchant_id_id", "merchant_id", "id"),
        sa.Index("ix_count_session_location", "merchant_id", "location_id", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = fk_field("location.id")
    name: str | None = text_field()
    scope: CountScope = enum_field(CountScope)
    item_type: ItemType | None = enum_field(ItemType, nullable=True)
    status: CountStatus = enum_field(CountStatus)
    counted_at: datetime = time_field()
    created_at: datetime = time_field()
    applied_at: datetime | None = time_field(nullable=True)
    actor: str | None = text_field()


def _session_key() -> sa.Column[uuid.UUID]:
    return sa.Column(
        pg.UUID(as_uuid=True),
        sa.ForeignKey("count_session.id", ondelete="CASCADE"),
        nullable=False,
    )


class CountLine(SQLModel, table=True):
    """A stock of the session: in scope from the start, or since its first entry.

    `counted` is the sum of the entries in the base unit (NULL: not counted), kept by
    every recording. `expected` and `movement_id` are set when the session is applied;
    before that, expected is read from the ledger at the session's moment.
    """

    __tablename__ = "count_line"
    __table_args__ = (sa.PrimaryKeyConstraint("session_id", "stock_id"),)

    session_id: uuid.UUID = Field(sa_column=_session_key())
    stock_id: uuid.UUID = Field(
        sa_column=sa.Column(
            pg.UUID(as_uuid=True), sa.ForeignKey("stock.id", ondelete="RESTRICT"), nullable=False
        )
    )
    merchant_id: uuid.UUID = merchant_field()
    counted: Decimal | None = quantity_field(nullable=True)
    expected: Decimal | None = quantity_field(nullable=True)
    movement_id: uuid.UUID | None = Field(
        default=None, sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=True)
    )


class CountEntry(SQLModel, table=True):
    """What was counted of a stock in one storage area ('' when no area was named)."""

    __tablename__ = "count_entry"
    __table_args__ = (sa.PrimaryKeyConstraint("session_id", "stock_id", "area"),)

    session_id: uuid.UUID = Field(sa_column=_session_key())
    stock_id: uuid.UUID = Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))
    area: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    merchant_id: uuid.UUID = merchant_field()
    quantity: Decimal = quantity_field()  # as entered
    unit: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # as entered
    quantity_base: Decimal = quantity_field()
    recorded_at: datetime = time_field()
    actor: str | None = text_field()


__all__ = ["CountEntry", "CountLine", "CountSession"]
