"""Locations a merchant keeps stock at: create, update, archive.

The default location is created by `ensure_default_location` (merchant onboarding),
never here. Codes are unique per merchant among all its locations, archived ones
included (the unique index says so), compared exactly as given after trimming.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.services.context import Actor
from app.services.idempotency import claim, remember
from app.services.owned_rows import ID_FIELD, archive_owned, lock_owned, update_owned
from app.services.text_input import optional_text, required_text

NAME_MAX_LENGTH = 200
CODE_MAX_LENGTH = 64
ADDRESS_MAX_LENGTH = 1000
CODE_FIELD = ("input", "code")


@dataclass(frozen=True)
class LocationResult:
    location_id: uuid.UUID

    def as_response(self) -> dict[str, Any]:
        return {"locationId": self.location_id}

    @classmethod
    def from_response(cls, stored: Mapping[str, Any]) -> LocationResult:
        return cls(uuid.UUID(stored["locationId"]))


async def create_location(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    code: str | None = None,
    address: str | None = None,
    idempotency_key: str | None = None,
) -> LocationResult:
    """A new, non-default location. Blank name is REQUIRED; a code in use is DUPLICATE."""
    problems = ProblemCollector()
    clean_name = required_text(name, ("input", "name"), problems, max_length=NAME_MAX_LENGTH)
    clean_code = optional_text(code, CODE_FIELD, problems, max_length=CODE_MAX_LENGTH)
    clean_address = optional_text(
        address, ("input", "address"), problems, max_length=ADDRESS_MAX_LENGTH
    )
    problems.raise_if_any()
    request = {"name": clean_name, "code": clean_code, "address": clean_address}
    async with uow.transaction() as session:
        if idempotency_key is not None:
            stored = await claim(
                session, actor.merchant_id, idempotency_key, "locationCreate", request
            )
            if stored is not None:
                return LocationResult.from_response(stored)
        # The partial unique index on (merchant, code) is the only one a new row can hit.
        created = (
            await session.execute(
                pg_insert(t.location)
                .values(
                    id=uuid7(),
                    merchant_id=actor.merchant_id,
                    name=clean_name,
                    code=clean_code,
                    address=clean_address,
                    is_default=False,
                    archived=False,
                )
                .on_conflict_do_nothing()
                .returning(t.location.c.id)
            )
        ).scalar_one_or_none()
        if created is None:
            raise DomainError.one(UserErrorCode.DUPLICATE, "this code is in use", CODE_FIELD)
        result = LocationResult(created)
        if idempotency_key is not None:
            await remember(session, actor.merchant_id, idempotency_key, result.as_response())
    return result


async def update_location(
    uow: UnitOfWork,
    actor: Actor,
    location_id: uuid.UUID,
    *,
    name: str | None = None,
    code: str | None = None,
    address: str | None = None,
) -> LocationResult:
    """Change the fields given (None leaves a field as it is; "" clears code or address).

    Unknown or another merchant's id is NOT_FOUND, an archived location ARCHIVED.
    """
    problems = ProblemCollector()
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = required_text(
            name, ("input", "name"), problems, max_length=NAME_MAX_LENGTH
        )
    if code is not None:
        values["code"] = optional_text(code, CODE_FIELD, problems, max_length=CODE_MAX_LENGTH)
    if address is not None:
        values["address"] = optional_text(
            address, ("input", "address"), problems, max_length=ADDRESS_MAX_LENGTH
        )
    async with uow.transaction() as session:
        row = await lock_owned(
            session, t.location, actor.merchant_id, location_id, problems, "archived"
        )
        if row is not None and row.archived:
            problems.add(UserErrorCode.ARCHIVED, "the location is archived", ID_FIELD)
        if values.get("code") is not None and await _code_taken(
            session, actor.merchant_id, values["code"], location_id
        ):
            problems.add(UserErrorCode.DUPLICATE, "this code is in use", CODE_FIELD)
        problems.raise_if_any()
        try:
            # A savepoint, so a concurrent writer of the same code surfaces as DUPLICATE.
            async with session.begin_nested():
                await update_owned(session, t.location, location_id, values)
        except IntegrityError:
            raise DomainError.one(
                UserErrorCode.DUPLICATE, "this code is in use", CODE_FIELD
            ) from None
    return LocationResult(location_id)


async def archive_location(uow: UnitOfWork, actor: Actor, location_id: uuid.UUID) -> LocationResult:
    """Archive a location: it takes no more stock writes. Archiving twice is fine.

    The default location cannot be archived (INVALID_STATE). Its stocks and ledger stay.
    """
    problems = ProblemCollector()
    async with uow.transaction() as session:
        await lock_owned(session, t.location, actor.merchant_id, location_id, problems)
        problems.raise_if_any()
        is_default = (
            await session.execute(
                select(t.location.c.is_default).where(t.location.c.id == location_id)
            )
        ).scalar_one()
        if is_default:
            raise DomainError.one(
                UserErrorCode.INVALID_STATE, "the default location cannot be archived", ID_FIELD
            )
        await archive_owned(session, t.location, location_id)
    return LocationResult(location_id)


async def _code_taken(
    session: AsyncSession, merchant_id: uuid.UUID, code: str, location_id: uuid.UUID
) -> bool:
    taken = (
        await session.execute(
            select(t.location.c.id).where(
                t.location.c.merchant_id == merchant_id,
                t.location.c.code == code,
                t.location.c.id != location_id,
            )
        )
    ).first()
    return taken is not None
