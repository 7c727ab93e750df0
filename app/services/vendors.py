"""Vendors: who purchase orders are placed with."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import insert

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import ProblemCollector, UserErrorCode
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
    fields = {
        "name": name.strip(),
        "taxId": _optional(tax_id),
        "email": _optional(email),
        "phone": _optional(phone),
        "address": _optional(address),
    }
    problems = ProblemCollector()
    refuse_nul(problems, {("input", key): value for key, value in fields.items()})
    if not fields["name"]:
        problems.add(UserErrorCode.REQUIRED, "name is required", ("input", "name"))
    if fields["email"] is not None and not EMAIL_SHAPE.match(fields["email"]):
        problems.add(UserErrorCode.INVALID, "is not an email address", ("input", "email"))
    problems.raise_if_any()

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
