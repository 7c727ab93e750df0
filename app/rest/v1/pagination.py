"""limit/cursor pages: opaque cursors over UUIDv7 ids (keyset, stable under inserts)."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.queries.keyset import KeysetPage, fetch_page
from app.domain.errors import DomainError, UserErrorCode

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_PREFIX = b"v1:"


def encode_cursor(last_id: uuid.UUID) -> str:
    """The position after `last_id`; opaque to callers (the format may change behind a prefix)."""
    return base64.urlsafe_b64encode(_PREFIX + last_id.bytes).rstrip(b"=").decode()


def decode_cursor(cursor: str | None) -> uuid.UUID | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(_PREFIX) or len(raw) != len(_PREFIX) + 16:
        raise DomainError.one(
            UserErrorCode.INVALID, "is not a cursor this API returned", ("cursor",)
        )
    return uuid.UUID(bytes=raw[len(_PREFIX) :])


async def page_of(
    session: AsyncSession,
    statement: Select[Any],
    id_column: ColumnElement[uuid.UUID],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[Row[Any]], str | None]:
    """Up to `limit` rows after the cursor in id order, and the cursor of the next page."""
    result = await fetch_page(
        session, statement, id_column, KeysetPage(limit=limit, after=decode_cursor(cursor))
    )
    next_cursor = encode_cursor(result.rows[-1].id) if result.has_more and result.rows else None
    return result.rows, next_cursor
