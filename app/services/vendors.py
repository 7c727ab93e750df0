"""Vendors: who purchase orders are placed with; edited and archived (an archived vendor
takes no new purchase order, while its orders keep their history)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.text import refuse_nul
from app.services import idempotency
from app.services.context import Actor

OPERATION = "vendorCreate"
# A shape check, not deliverability: one @, no spaces, a dot in the domain.
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class VendorResult:
    vendor_id: uuid.UUID


def _optional(value: str | None) -> str | None:
    """Blank optional text is stored as absent."""
    if value is None:
        return None
    return value.strip() or None


COLUMNS = {
    "name": "name",
    "taxId": "tax_id",
    "email": "email",
    "phone": "phone",
    "address": "address",
}


def _checked(given: Mapping[str, str | None]) -> dict[str, str | None]:
    """The given fields cleaned: a name that is absent or blank is REQUIRED on ("input",
    "name"), an email not shaped like one INVALID on ("input", "email"), other blank
    text stored as absent. Raises every problem together."""
    fields = {
        key: (value or "").strip() if key == "name" else _optional(value)
        for key, value in given.items()
    }
    problems = ProblemCollector()
    refuse_nul(problems, {("input", key): value for key, value in fields.items()})
    if "name" in fields and not fields["name"]:
        problems.add(UserErrorCode.REQUIRED, "name is required", ("input", "name"))
    email = fields.get("email")
    if email is not None and not EMAIL_SHAPE.match(email):
        problems.add(UserErrorCode.INVALID, "is not an email address", ("input", "email"))
    problems.raise_if_any()
    return fields


async def create_vendor(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    tax_id: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    idempotency_key: str | None = None,
) -> VendorResult:
    """Create a vendor of the actor's merchant.

    A blank name is REQUIRED on ("input", "name"); an email that is not shaped like
    one is INVALID on ("input", "email"). Optional blank fields are stored as null.
    """
    fields = _checked(
        {"name": name, "taxId": tax_id, "email": email, "phone": phone, "address": address}
    )

    async with uow.transaction() as session:
        if idempotency_key is not None:
            stored = await idempotency.claim(
                session, actor.merchant_id, idempotency_key, OPERATION, fields
            )
            if stored is not None:
                return VendorResult(uuid.UUID(stored["vendorId"]))
        vendor_id = uuid7()
        now = utcnow()
        await session.execute(
            insert(t.vendor).values(
                id=vendor_id,
                merchant_id=actor.merchant_id,
                name=fields["name"],
                tax_id=fields["taxId"],
                email=fields["email"],
                phone=fields["phone"],
                address=fields["address"],
                created_at=now,
                updated_at=now,
            )
        )
        if idempotency_key is not None:
            await idempotency.remember(
                session, actor.merchant_id, idempotency_key, {"vendorId": vendor_id}
            )
    return VendorResult(vendor_id)


async def update_vendor(
    uow: UnitOfWork,
    actor: Actor,
    vendor_id: uuid.UUID,
    changes: Mapping[str, str | None],
) -> VendorResult:
    """Change the fields given in `changes` (keys: name, taxId, email, phone, address; a
    None or blank optional field clears it); the others stay. The rules of creating a
    vendor hold; an unknown vendor is NOT_FOUND on ("id",). Orders already received
    keep the vendor as it was in their snapshot."""
    fields = _checked(changes)
    async with uow.transaction() as session:
        await _change(
            session, actor.merchant_id, vendor_id, {COLUMNS[k]: v for k, v in fields.items()}
        )
    return VendorResult(vendor_id)


async def archive_vendor(uow: UnitOfWork, actor: Actor, vendor_id: uuid.UUID) -> VendorResult:
    """Archive a vendor (again: no change): it takes no new purchase order (ARCHIVED on
    the order's vendorId), while its orders, open or received, stay as they are."""
    async with uow.transaction() as session:
        await _change(session, actor.merchant_id, vendor_id, {"archived": True})
    return VendorResult(vendor_id)


async def _change(
    session: AsyncSession, merchant_id: uuid.UUID, vendor_id: uuid.UUID, values: dict[str, object]
) -> None:
    changed = await session.execute(
        update(t.vendor)
        .where(t.vendor.c.merchant_id == merchant_id, t.vendor.c.id == vendor_id)
        .values(**values, updated_at=utcnow())
        .returning(t.vendor.c.id)
    )
    if changed.first() is None:
        raise DomainError.one(UserErrorCode.NOT_FOUND, f"vendor {vendor_id} not found", ("id",))
