"""Materials (ingredients, supplies): create, update, archive.

A material's unit is its base unit, a label the merchant chooses (`g`, `kg`, `ml`,
`l`, `pcs`, or e.g. `bottle`): required, at most 16 characters after trimming, kept
as given. Stock, ledger, recipe, purchase and transfer quantities are all kept in
it (quantities entered in other units are converted once, see item_units), which
is why it cannot change once any of those exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.quantities import require_not_negative
from app.domain.units import UnitBook
from app.services.context import Actor
from app.services.idempotency import claim, remember
from app.services.item_units import UNIT_MAX_LENGTH, ItemUnitInput, define_units
from app.services.owned_rows import ID_FIELD, archive_owned, lock_owned, update_owned
from app.services.text_input import collect, optional_text, required_text
from app.services.unit_conversion import units_to_json

NAME_MAX_LENGTH = 200
SKU_MAX_LENGTH = 64
UNIT_FIELD = ("input", "unit")


@dataclass(frozen=True)
class MaterialResult:
    material_id: uuid.UUID

    def as_response(self) -> dict[str, Any]:
        return {"materialId": self.material_id}

    @classmethod
    def from_response(cls, stored: Mapping[str, Any]) -> MaterialResult:
        return cls(uuid.UUID(stored["materialId"]))


async def create_material(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    unit: str,
    sku: str | None = None,
    low_stock_threshold: Decimal | None = None,
    units: Sequence[ItemUnitInput] = (),
    idempotency_key: str | None = None,
) -> MaterialResult:
    """A new material. `low_stock_threshold` (≥ 0) is given to each of its stocks when created.

    `units` are its own units, defined in order (each may use the ones before it).
    """
    problems = ProblemCollector()
    clean_name = required_text(name, ("input", "name"), problems, max_length=NAME_MAX_LENGTH)
    clean_unit = required_text(unit, UNIT_FIELD, problems, max_length=UNIT_MAX_LENGTH)
    clean_sku = optional_text(sku, ("input", "sku"), problems, max_length=SKU_MAX_LENGTH)
    if low_stock_threshold is not None:
        collect(
            problems,
            require_not_negative,
            low_stock_threshold,
            ("input", "lowStockThreshold"),
        )
    book = UnitBook(clean_unit or "")
    if clean_unit is not None:
        book = define_units(book, units, ("input", "units"), problems)
    problems.raise_if_any()
    request = {
        "name": clean_name,
        "unit": clean_unit,
        "sku": clean_sku,
        "lowStockThreshold": low_stock_threshold,
        "units": units_to_json(book.own),
    }
    async with uow.transaction() as session:
        if idempotency_key is not None:
            stored = await claim(
                session, actor.merchant_id, idempotency_key, "materialCreate", request
            )
            if stored is not None:
                return MaterialResult.from_response(stored)
        result = MaterialResult(uuid7())
        await session.execute(
            insert(t.material).values(
                id=result.material_id,
                merchant_id=actor.merchant_id,
                name=clean_name,
                unit=clean_unit,
                sku=clean_sku,
                archived=False,
                default_low_stock_threshold=low_stock_threshold,
                units=units_to_json(book.own),
            )
        )
        if idempotency_key is not None:
            await remember(session, actor.merchant_id, idempotency_key, result.as_response())
    return result


async def update_material(
    uow: UnitOfWork,
    actor: Actor,
    material_id: uuid.UUID,
    *,
    name: str | None = None,
    sku: str | None = None,
    unit: str | None = None,
) -> MaterialResult:
    """Change the fields given (None leaves a field as it is; "" clears the sku).

    A new unit is UNIT_MISMATCH once the material has a stock, a recipe line, a
    purchase order line or a transfer line: their quantities are in the old unit.
    Unknown or another merchant's id is NOT_FOUND, an archived material ARCHIVED.
    """
    problems = ProblemCollector()
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = required_text(
            name, ("input", "name"), problems, max_length=NAME_MAX_LENGTH
        )
    if sku is not None:
        values["sku"] = optional_text(sku, ("input", "sku"), problems, max_length=SKU_MAX_LENGTH)
    if unit is not None:
        values["unit"] = required_text(unit, UNIT_FIELD, problems, max_length=UNIT_MAX_LENGTH)
    async with uow.transaction() as session:
        current = await lock_owned(
            session, t.material, actor.merchant_id, material_id, problems, "archived", "unit"
        )
        if current is not None:
            current_unit = current.unit
            if current.archived:
                problems.add(UserErrorCode.ARCHIVED, "the material is archived", ID_FIELD)
            new_unit = values.get("unit")
            changes_unit = new_unit is not None and new_unit != current_unit
            if changes_unit and await _is_in_use(session, actor.merchant_id, material_id):
                problems.add(
                    UserErrorCode.UNIT_MISMATCH,
                    f"quantities of this material are already kept in {current_unit}",
                    UNIT_FIELD,
                )
        problems.raise_if_any()
        await update_owned(session, t.material, material_id, values)
    return MaterialResult(material_id)


async def archive_material(uow: UnitOfWork, actor: Actor, material_id: uuid.UUID) -> MaterialResult:
    """Archive a material: no new stock writes or recipe lines. Archiving twice is fine.

    Existing recipes keep their lines, so sales already using it still reserve it.
    """
    problems = ProblemCollector()
    async with uow.transaction() as session:
        await lock_owned(session, t.material, actor.merchant_id, material_id, problems)
        problems.raise_if_any()
        await archive_owned(session, t.material, material_id)
    return MaterialResult(material_id)


async def _is_in_use(session: AsyncSession, merchant_id: uuid.UUID, material_id: uuid.UUID) -> bool:
    users = [t.stock, t.recipe_line, t.purchase_order_line, t.transfer_line]
    statement = select(
        or_(
            *(
                exists().where(
                    table.c.merchant_id == merchant_id, table.c.material_id == material_id
                )
                for table in users
            )
        )
    )
    return bool((await session.execute(statement)).scalar_one())
