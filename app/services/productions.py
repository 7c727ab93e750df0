"""Recording a production: a batch of a prep item made at a location, one transaction.

Each ingredient gets a PRODUCTION_CONSUMPTION movement (on hand down by the prep
recipe's quantity scaled by quantity produced / yield, or by what `consumed` says
was really used) and the prep item a PRODUCTION_OUTPUT movement (on hand up by the
quantity produced), all with reference PRODUCTION/<production id>. An ingredient
whose available would go below zero refuses the whole production unless
`allow_negative`. The prep item's average unit cost blends in what the ingredients
cost at their average unit costs. The production keeps the prep recipe it was made by,
scaled to what it made (production_recipe_line): the usage report explains it by
that, whatever the recipe becomes later.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.queries.recipes import recipes_by_owner
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import ItemType, MovementType, RecipeOwner, ReferenceType
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.prep import batches, production_value, scaled_quantity
from app.domain.quantities import decimal_str, require_positive
from app.services import idempotency
from app.services.average_costs import (
    CostChange,
    CostedReceipt,
    fold_receipt_into_average_costs,
    record_cost_changes,
)
from app.services.context import Actor
from app.services.recipes import RecipeLineInput, check_line_materials, check_lines
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks
from app.services.stock_refs import check_location
from app.services.text_input import collect, optional_text
from app.services.unit_conversion import Entered, convert, material_book

OPERATION = "productionRecord"
REASON_MAX_LENGTH = 500
PRODUCED_FIELD = ("input", "quantityProduced")
CONSUMED_FIELD = ("input", "consumed")
MATERIAL_FIELD = ("input", "materialId")


@dataclass(frozen=True)
class ProductionInput:
    location_id: uuid.UUID
    material_id: uuid.UUID  # the prep item
    quantity_produced: Decimal
    unit: str | None = None
    consumed: Sequence[RecipeLineInput] | None = None
    reason: str | None = None
    allow_negative: bool = False


@dataclass(frozen=True)
class _Plan:
    """What a production makes, what it uses, and the recipe it is made by."""

    produced: Entered
    uses: list[_Use]
    yield_quantity: Decimal
    # The prep recipe's lines scaled to what is made (base unit), by material.
    by_recipe: dict[uuid.UUID, Decimal]


@dataclass(frozen=True)
class _Use:
    """One ingredient's consumption and the field a shortage of it is reported on."""

    material_id: uuid.UUID
    entered: Entered
    field: FieldPath


async def record_production(
    uow: UnitOfWork,
    actor: Actor,
    production: ProductionInput,
    idempotency_key: str | None = None,
) -> uuid.UUID:
    """Record a production; its id. Problems, all at once: location and prep item unknown
    (NOT_FOUND) or archived (ARCHIVED), the material not a prep item (INVALID on
    input.materialId), quantities (INVALID), units (UNIT_MISMATCH), and, unless
    `allow_negative`, INSUFFICIENT_STOCK per short ingredient (on input.quantityProduced,
    or the `consumed` line's quantity), naming it. Nothing is written on any problem.
    """
    p = production
    problems = ProblemCollector()
    collect(problems, require_positive, p.quantity_produced, PRODUCED_FIELD)
    reason = optional_text(p.reason, ("input", "reason"), problems, max_length=REASON_MAX_LENGTH)
    if p.consumed is not None:
        check_lines(p.consumed, problems, CONSUMED_FIELD)
    request = {
        "locationId": p.location_id,
        "materialId": p.material_id,
        "quantityProduced": p.quantity_produced,
        "unit": p.unit,
        "consumed": None
        if p.consumed is None
        else [[c.material_id, c.quantity, c.unit] for c in p.consumed],
        "reason": reason,
        "allowNegative": p.allow_negative,
    }
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        if idempotency_key is not None and not problems.problems:
            stored = await idempotency.claim(
                session, merchant_id, idempotency_key, OPERATION, request
            )
            if stored is not None:
                return uuid.UUID(stored["productionId"])
        await check_location(session, merchant_id, p.location_id, ("input",), problems)
        plan = await _plan(session, merchant_id, p, problems)
        problems.raise_if_any()
        assert plan is not None
        produced, uses = plan.produced, plan.uses
        names, costs = await _fold_cost(session, merchant_id, p.material_id, produced.base, uses)
        output = StockKey.material(p.location_id, p.material_id)
        keys = {u.material_id: StockKey.material(p.location_id, u.material_id) for u in uses}
        stocks = await lock_stocks(session, merchant_id, [output, *keys.values()])
        if not p.allow_negative:
            for use in uses:
                available = stocks[keys[use.material_id]].available
                if available - use.entered.base < 0:
                    problems.add(
                        UserErrorCode.INSUFFICIENT_STOCK,
                        f"{names[use.material_id]}: {decimal_str(use.entered.base)} needed,"
                        f" {decimal_str(available)} available",
                        use.field,
                    )
            problems.raise_if_any()
        production_id = uuid7()
        reference = str(production_id)
        moves = [
            Move(
                keys[u.material_id],
                MovementType.PRODUCTION_CONSUMPTION,
                ReferenceType.PRODUCTION,
                reference,
                delta_on_hand=-u.entered.base,
                reason=reason,
                entered_quantity=u.entered.quantity,
                entered_unit=u.entered.unit,
            )
            for u in uses
            if u.entered.base != 0
        ]
        moves.append(
            Move(
                output,
                MovementType.PRODUCTION_OUTPUT,
                ReferenceType.PRODUCTION,
                reference,
                delta_on_hand=produced.base,
                reason=reason,
                entered_quantity=produced.quantity,
                entered_unit=produced.unit,
            )
        )
        moved = await apply_moves(session, actor, stocks, moves)
        await record_cost_changes(
            session, merchant_id, costs, moved, ReferenceType.PRODUCTION, reference
        )
        await session.execute(
            insert(t.production).values(
                id=production_id,
                merchant_id=merchant_id,
                location_id=p.location_id,
                material_id=p.material_id,
                quantity_produced=produced.base,
                batches=batches(produced.base, plan.yield_quantity),
                consumed=[_consumed_json(u) for u in uses],
                reason=reason,
                actor=actor.label,
                produced_at=utcnow(),
            )
        )
        if plan.by_recipe:
            await session.execute(
                insert(t.production_recipe_line),
                [
                    {
                        "merchant_id": merchant_id,
                        "production_id": production_id,
                        "material_id": material_id,
                        "quantity": quantity,
                    }
                    for material_id, quantity in plan.by_recipe.items()
                ],
            )
        if idempotency_key is not None:
            await idempotency.remember(
                session, merchant_id, idempotency_key, {"productionId": production_id}
            )
    return production_id


async def _plan(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    p: ProductionInput,
    problems: ProblemCollector,
) -> _Plan | None:
    """The quantity produced in base units, each ingredient's use, and the recipe; None
    when a problem leaves nothing to plan."""
    book = await material_book(session, merchant_id, p.material_id, problems, MATERIAL_FIELD)
    if book is None:
        return None
    recipe = (
        await recipes_by_owner(session, merchant_id, RecipeOwner.PREP_ITEM, [p.material_id])
    ).get(p.material_id)
    if recipe is None or recipe.yield_quantity is None:
        problems.add(UserErrorCode.INVALID, "is not a prep item (no prep recipe)", MATERIAL_FIELD)
        return None
    produced = convert(
        book,
        p.quantity_produced,
        p.unit,
        problems,
        ("input", "unit"),
        PRODUCED_FIELD,
    )
    by_recipe: dict[uuid.UUID, Decimal] = {}
    if produced is not None:
        by_recipe = {
            row.material_id: scaled_quantity(row.quantity, produced.base, recipe.yield_quantity)
            for row in recipe.lines
        }
    if p.consumed is not None:
        lines = await check_line_materials(
            session, merchant_id, p.consumed, problems, CONSUMED_FIELD
        )
        fields = {c.material_id: (*CONSUMED_FIELD, i, "quantity") for i, c in enumerate(p.consumed)}
        for i, c in enumerate(p.consumed):
            if c.material_id == p.material_id:
                problems.add(
                    UserErrorCode.INVALID,
                    "a production cannot consume the prep item it makes",
                    (*CONSUMED_FIELD, i, "materialId"),
                )
        uses = [_Use(line.material_id, line.entered, fields[line.material_id]) for line in lines]
    else:
        uses = [_Use(m, Entered(q), PRODUCED_FIELD) for m, q in by_recipe.items()]
    if produced is None:
        return None
    return _Plan(produced, uses, recipe.yield_quantity, by_recipe)


async def _fold_cost(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    prep_item_id: uuid.UUID,
    produced: Decimal,
    uses: Sequence[_Use],
) -> tuple[dict[uuid.UUID, str], list[CostChange]]:
    """Blend what the ingredients cost into the prep item's average; their names."""
    material = t.material
    rows = (
        await session.execute(
            select(material.c.id, material.c.name, material.c.average_unit_cost).where(
                material.c.merchant_id == merchant_id,
                material.c.id.in_([u.material_id for u in uses]),
            )
        )
    ).all()
    costs = {row.id: row.average_unit_cost for row in rows}
    value = production_value((u.entered.base, costs.get(u.material_id)) for u in uses)
    changes: list[CostChange] = []
    if value is not None:
        changes = await fold_receipt_into_average_costs(
            session,
            merchant_id,
            [CostedReceipt(ItemType.MATERIAL, prep_item_id, produced, value)],
        )
    return {row.id: row.name for row in rows}, changes


def _consumed_json(use: _Use) -> dict[str, Any]:
    return {
        "materialId": str(use.material_id),
        "quantity": str(use.entered.base),
        "enteredQuantity": None if use.entered.quantity is None else str(use.entered.quantity),
        "enteredUnit": use.entered.unit,
    }


__all__ = ["ProductionInput", "record_production"]
