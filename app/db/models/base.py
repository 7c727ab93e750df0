"""Column helpers shared by the tables: time-ordered UUIDs, UTC times, exact decimals."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

_last_ms = 0
_counter = 0
_uuid7_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): ids sort by creation time, so keyset pages follow creation order.

    Within one millisecond the 12-bit `rand_a` field is a counter (RFC 9562 method 1),
    so ids made in one process keep their creation order: the ledger lists moves of
    one batch in the order they were applied.
    """
    global _last_ms, _counter
    with _uuid7_lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, int.from_bytes(os.urandom(2), "big") & 0x3FF
        else:
            _counter += 1
            if _counter > 0xFFF:
                # Counter exhausted within this millisecond: borrow the next one.
                _last_ms, _counter = _last_ms + 1, 0
            ms = _last_ms
        counter = _counter
    rand_b = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def id_field() -> Any:
    return Field(default_factory=uuid7, primary_key=True)


def merchant_field() -> Any:
    return Field(sa_column=sa.Column(pg.UUID(as_uuid=True), nullable=False))


def fk_field(target: str, *, nullable: bool = False) -> Any:
    return Field(
        sa_column=sa.Column(
            pg.UUID(as_uuid=True), sa.ForeignKey(target, ondelete="RESTRICT"), nullable=nullable
        )
    )


def quantity_field(*, nullable: bool = False, default: Decimal | None = None) -> Any:
    """Unconstrained NUMERIC: exact sums and products, so the ledger always adds up."""
    server_default = None if default is None else sa.text(str(default))
    return Field(
        default=default,
        sa_column=sa.Column(sa.Numeric, nullable=nullable, server_default=server_default),
    )


def time_field(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
    return Field(
        default_factory=utcnow,
        sa_column=sa.Column(
            sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def enum_field(enum: type[StrEnum], *, nullable: bool = False) -> Any:
    return Field(
        sa_column=sa.Column(
            sa.Enum(
                enum,
                native_enum=False,
                create_constraint=True,
                length=32,
                values_callable=lambda e: [m.value for m in e],
                name=enum.__name__.lower(),
            ),
            nullable=nullable,
        )
    )


def json_field(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(pg.JSONB, nullable=nullable))


def units_field() -> Any:
    """An item's own units as defined: [{"name", "quantity", "unit"}] (quantity a string)."""
    return Field(
        default_factory=list,
        sa_column=sa.Column(pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def text_field(*, nullable: bool = True, default: str | None = None) -> Any:
    return Field(default=default, sa_column=sa.Column(sa.Text, nullable=nullable))


def flag_field(default: bool = False) -> Any:
    return Field(
        default=default,
        sa_column=sa.Column(
            sa.Boolean, nullable=False, server_default=sa.true() if default else sa.false()
        ),
    )
