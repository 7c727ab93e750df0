"""Idempotency keys of user-initiated writes: same key and input → the first result again.

Claimed inside the write's own transaction, so a failed write leaves no key behind
and a concurrent second request with the same key waits for the first to commit.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.errors import DomainError, UserErrorCode
from app.domain.quantities import decimal_str

MAX_KEY_LENGTH = 255


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        # Set order follows string hashing, which differs between processes.
        return sorted((_canonical(v) for v in value), key=_sort_key)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def request_hash(operation: str, request: Mapping[str, Any]) -> str:
    """A stable hash of the operation and its input ("1.50" and "1.5" are the same input)."""
    text = json.dumps(
        {"operation": operation, "input": _canonical(request)}, sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


async def claim(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    key: str,
    operation: str,
    request: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Claim `key` for this write, or return the stored response of the first one.

    Returns None when the caller should do the work (and then `remember` its response
    in the same transaction). Raises IDEMPOTENCY_KEY_MISMATCH when the key was used
    with another operation or input.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        # Control characters (NUL above all, which PostgreSQL cannot store) are refused.
        raise DomainError.one(
            UserErrorCode.INVALID,
            f"idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters",
            ("idempotencyKey",),
        )
    digest = request_hash(operation, request)
    claimed = await session.execute(
        pg_insert(t.idempotency_key)
        .values(
            merchant_id=merchant_id,
            key=key,
            operation=operation,
            request_hash=digest,
            response={},
        )
        .on_conflict_do_nothing()
        .returning(t.idempotency_key.c.key)
    )
    if claimed.first() is not None:
        return None
    row = (
        await session.execute(
            select(
                t.idempotency_key.c.operation,
                t.idempotency_key.c.request_hash,
                t.idempotency_key.c.response,
            ).where(t.idempotency_key.c.merchant_id == merchant_id, t.idempotency_key.c.key == key)
        )
    ).one()
    if row.operation != operation or row.request_hash != digest:
        raise DomainError.one(
            UserErrorCode.IDEMPOTENCY_KEY_MISMATCH,
            "this idempotency key was already used with a different request",
            ("idempotencyKey",),
        )
    response: dict[str, Any] = row.response
    return response


async def remember(
    session: AsyncSession, merchant_id: uuid.UUID, key: str, response: Mapping[str, Any]
) -> None:
    await session.execute(
        update(t.idempotency_key)
        .where(t.idempotency_key.c.merchant_id == merchant_id, t.idempotency_key.c.key == key)
        .values(response=_canonical(response))
    )
