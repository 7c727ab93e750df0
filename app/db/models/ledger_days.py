"""Daily ledger totals per stock of settled UTC days (see app/domain/ledger_days.py): what
a usage report over weeks sums instead of every movement."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from app.db.models.base import merchant_field, quantity_field

# The flows a usage report reads, each a positive quantity named for what it is.
FLOWS = (
    "received",
    "transferred_in",
    "transferred_out",
    "produced",
    "adjusted_in",
    "returned",
    "wasted",
    "sold",
    "reserved_by_sales",
    "released",
)


def _uuid() -> sa.Column[uuid.UUID]:
    return sa.Column(pg.UUID(as_uuid=True), nullable=False)


class LedgerDay(SQLModel, table=True):
    __tablename__ = "ledger_day"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "location_id", "day", "stock_id"),)

    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = Field(sa_column=_uuid())
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    stock_id: uuid.UUID = Field(sa_column=_uuid())
    received: Decimal = quantity_field()
    transferred_in: Decimal = quantity_field()
    transferred_out: Decimal = quantity_field()
    produced: Decimal = quantity_field()
    adjusted_in: Decimal = quantity_field()
    returned: Decimal = quantity_field()
    wasted: Decimal = quantity_field()
    sold: Decimal = quantity_field()
    reserved_by_sales: Decimal = quantity_field()
    released: Decimal = quantity_field()


class LedgerDaySummed(SQLModel, table=True):
    """A (location, day) whose totals are in ledger_day (a stock without movements that
    day has no row there, so the day's presence is recorded apart)."""

    __tablename__ = "ledger_day_summed"
    __table_args__ = (sa.PrimaryKeyConstraint("merchant_id", "location_id", "day"),)

    merchant_id: uuid.UUID = merchant_field()
    location_id: uuid.UUID = Field(sa_column=_uuid())
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))


__all__ = ["FLOWS", "LedgerDay", "LedgerDaySummed"]
