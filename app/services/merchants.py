"""Merchants (identity's, by CDC or first mention) and their one default location."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, FieldPath, ProblemCollector, UserErrorCode
from app.domain.text import refuse_nul

DEFAULT_LOCATION_NAME = "Main"
DELETED_STATUS = "DELETED"


@dataclass(frozen=True)
class MerchantChange:
    """A merchant as identity's CDC shows it; `source_lsn` is the Debezium source position."""

    merchant_id: uuid.UUID
    name: str | None
    status: str | None
    currency: str | None
    timezone: str | None
    source_lsn: int | None
    deleted: bool = False


@dataclass(frozen=True)
class MerchantOutcome:
    merchant_id: uuid.UUID
    # None only for a deleted merchant that never had one.
    default_location_id: uuid.UUID | None
    # False when the change was not newer than what is stored (stale or re-delivered).
    changed: bool


async def ensure_merchant(uow: UnitOfWork, change: MerchantChange) -> MerchantOutcome:
    """Upsert the merchant and make sure it has its default location; idempotent.

    A change whose `source_lsn` is not above the stored one is ignored (re-delivery
    or an older change arriving late). A merchant row created earlier by an event
    that named the merchant (no lsn yet) takes the first CDC change. A delete marks
    the merchant DELETED and keeps everything else: stock history outlives it.
    """
    problems = ProblemCollector()
    refuse_nul(
        problems,
        {
            ("name",): change.name,
            ("status",): change.status,
            ("currency",): change.currency,
            ("timezone",): change.timezone,
        },
    )
    problems.raise_if_any()
    async with uow.transaction() as session:
        changed = await _upsert(session, change)
        if change.deleted:
            location_id = await _default_location_id(session, change.merchant_id)
        else:
            location_id = await ensure_default_location(session, change.merchant_id)
    return MerchantOutcome(change.merchant_id, location_id, changed)


async def _upsert(session: AsyncSession, change: MerchantChange) -> bool:
    merchant = t.merchant
    values: dict[str, Any] = {
        "name": change.name,
        "status": DELETED_STATUS if change.deleted else change.status,
        "currency": change.currency,
        "timezone": change.timezone,
        "source_lsn": change.source_lsn,
    }
    insert = pg_insert(merchant).values(id=change.merchant_id, **values)
    newer = or_(
        merchant.c.source_lsn.is_(None),
        insert.excluded.source_lsn.is_(None),
        merchant.c.source_lsn < insert.excluded.source_lsn,
    )
    if change.source_lsn is None:
        # Not from CDC: never move the stored position backwards.
        values["source_lsn"] = merchant.c.source_lsn
    statement = insert.on_conflict_do_update(
        index_elements=[merchant.c.id],
        set_={**values, "updated_at": utcnow()},
        where=newer,
    ).returning(merchant.c.id)
    return (await session.execute(statement)).first() is not None


async def ensure_merchant_row(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    """A merchant row with just its id when none exists; CDC fills in the rest later."""
    await session.execute(pg_insert(t.merchant).values(id=merchant_id).on_conflict_do_nothing())


async def ensure_default_location(session: AsyncSession, merchant_id: uuid.UUID) -> uuid.UUID:
    """The merchant's default location, created when missing, inside the caller's transaction.

    Safe under concurrency: the partial unique index (one default per merchant) makes
    a racing second insert wait for the first and then do nothing; it then reads the
    winner's row. Creates the merchant row (id only) when the merchant is unknown.
    """
    await ensure_merchant_row(session, merchant_id)
    existing = await _default_location_id(session, merchant_id)
    if existing is not None:
        return existing
    location = t.location
    now = utcnow()
    inserted: uuid.UUID | None = (
        await session.execute(
            pg_insert(location)
            .values(
                id=uuid7(),
                merchant_id=merchant_id,
                name=DEFAULT_LOCATION_NAME,
                is_default=True,
                archived=False,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[location.c.merchant_id], index_where=text("is_default")
            )
            .returning(location.c.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted
    winner = await _default_location_id(session, merchant_id)
    assert winner is not None, "the conflicting default location must be visible after it"
    return winner


async def _default_location_id(session: AsyncSession, merchant_id: uuid.UUID) -> uuid.UUID | None:
    found: uuid.UUID | None = (
        await session.execute(
            select(t.location.c.id).where(
                t.location.c.merchant_id == merchant_id, t.location.c.is_default
            )
        )
    ).scalar_one_or_none()
    return found


async def require_location(
    session: AsyncSession, merchant_id: uuid.UUID, location_id: uuid.UUID, field: FieldPath
) -> None:
    """NOT_FOUND unless the location belongs to the merchant (archived ones still count:
    a paid sale or a kitchen event is a fact, not a request that can be refused)."""
    found = (
        await session.execute(
            select(t.location.c.id).where(
                t.location.c.merchant_id == merchant_id, t.location.c.id == location_id
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise DomainError.one(UserErrorCode.NOT_FOUND, f"location {location_id} not found", field)
