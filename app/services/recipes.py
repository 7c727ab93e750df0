"""Recipes: the materials one unit of a product variant or of a modifier option uses.

A recipe is keyed by commerce's id of what it belongs to (`recipe.owner_type`,
`recipe.owner_id` = the product variant id or the modifier option id) and its lines
are always replaced as a whole. Quantities are in each material's own unit.
Sales read the lines when they reserve, and keep a snapshot, so a later change here
never alters what an earlier sale reserved. A product's item recipe limits its
availableToSell, so replacing it with different lines stages an
`inventory.availability-inputs-changed` event (modifier recipes limit nothing).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import RecipeOwner
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    RecipeLines,
    availability_inputs_changed_event,
)
from app.outbox.writer import enqueue
from app.services.context import Actor
from app.services.text_input import collect

MAX_LINES = 100
VARIANT_FIELD = ("productVariantId",)


@dataclass(frozen=True)
class RecipeLineInput:
    material_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class RecipeResult:
    inventory_item_id: uuid.UUID
    recipe_id: uuid.UUID


@dataclass(frozen=True)
class ModifierRecipeResult:
    modifier_option_id: uuid.UUID
    recipe_id: uuid.UUID


async def set_recipe(
    uow: UnitOfWork,
    actor: Actor,
    *,
    product_variant_id: uuid.UUID,
    lines: Sequence[RecipeLineInput],
) -> RecipeResult:
    """Replace the recipe of a product variant with `lines` (an empty list clears it).

    The variant's inventory item must exist for this merchant and not be archived
    (NOT_FOUND / ARCHIVED on productVariantId). Line rules: see `set_modifier_recipe`.
    Lines that differ from the old ones (as material → quantity) stage an
    availability-inputs-changed event carrying the old lines, for the realtime path.
    """
    problems = ProblemCollector()
    _check_lines(lines, problems)
    async with uow.transaction() as session:
        item = (
            await session.execute(
                select(t.inventory_item.c.id, t.inventory_item.c.archived).where(
                    t.inventory_item.c.merchant_id == actor.merchant_id,
                    t.inventory_item.c.product_variant_id == product_variant_id,
                )
            )
        ).one_or_none()
        if item is None:
            problems.add(UserErrorCode.NOT_FOUND, "no such product variant", VARIANT_FIELD)
        elif item.archived:
            problems.add(UserErrorCode.ARCHIVED, "the inventory item is archived", VARIANT_FIELD)
        await _check_materials(session, actor.merchant_id, lines, problems)
        problems.raise_if_any()
        assert item is not None
        recipe_id, before = await _replace(
            session, actor.merchant_id, RecipeOwner.PRODUCT_VARIANT, product_variant_id, lines
        )
        after = ((line.material_id, line.quantity) for line in lines)
        if _as_quantities(before) != _as_quantities(after):
            change = AvailabilityInputsChanged(
                actor.merchant_id, item.id, utcnow(), recipe_before=before
            )
            await enqueue(session, actor.merchant_id, [availability_inputs_changed_event(change)])
    return RecipeResult(item.id, recipe_id)


async def set_modifier_recipe(
    uow: UnitOfWork,
    actor: Actor,
    *,
    modifier_option_id: uuid.UUID,
    lines: Sequence[RecipeLineInput],
) -> ModifierRecipeResult:
    """Replace the recipe of a modifier option with `lines` (an empty list clears it).

    Every line's material must be this merchant's (NOT_FOUND) and not archived
    (ARCHIVED) on ("lines", i, "materialId"); a material may appear once (DUPLICATE);
    quantities are > 0 with at most 6 decimal places (INVALID on ("lines", i,
    "quantity")). All problems are reported together. Modifier options are commerce's;
    any id is accepted and scoped to this merchant.
    """
    problems = ProblemCollector()
    _check_lines(lines, problems)
    async with uow.transaction() as session:
        await _check_materials(session, actor.merchant_id, lines, problems)
        problems.raise_if_any()
        recipe_id, _ = await _replace(
            session, actor.merchant_id, RecipeOwner.MODIFIER_OPTION, modifier_option_id, lines
        )
    return ModifierRecipeResult(modifier_option_id, recipe_id)


def _check_lines(lines: Sequence[RecipeLineInput], problems: ProblemCollector) -> None:
    if len(lines) > MAX_LINES:
        problems.add(UserErrorCode.INVALID, f"at most {MAX_LINES} lines", ("lines",))
    seen: set[uuid.UUID] = set()
    for i, line in enumerate(lines):
        collect(problems, require_positive, line.quantity, ("lines", i, "quantity"))
        if line.material_id in seen:
            problems.add(
                UserErrorCode.DUPLICATE,
                "this material is already on another line",
                ("lines", i, "materialId"),
            )
        seen.add(line.material_id)


async def _check_materials(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    lines: Sequence[RecipeLineInput],
    problems: ProblemCollector,
) -> None:
    """NOT_FOUND / ARCHIVED per line; the rows stay share-locked so no unit changes meanwhile."""
    if not lines:
        return
    rows = (
        await session.execute(
            select(t.material.c.id, t.material.c.archived)
            .where(
                t.material.c.merchant_id == merchant_id,
                t.material.c.id.in_({line.material_id for line in lines}),
            )
            .order_by(t.material.c.id)
            .with_for_update(read=True)
        )
    ).all()
    archived = {row.id: row.archived for row in rows}
    for i, line in enumerate(lines):
        path = ("lines", i, "materialId")
        if line.material_id not in archived:
            problems.add(UserErrorCode.NOT_FOUND, "no such material", path)
        elif archived[line.material_id]:
            problems.add(UserErrorCode.ARCHIVED, "the material is archived", path)


async def _replace(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    owner_type: RecipeOwner,
    owner_id: uuid.UUID,
    lines: Sequence[RecipeLineInput],
) -> tuple[uuid.UUID, RecipeLines]:
    """The recipe's id and the lines it had before (material id, quantity), in order."""
    # The upsert locks the recipe row, so concurrent replacements of one recipe take turns.
    recipe = t.recipe
    recipe_id: uuid.UUID = (
        await session.execute(
            pg_insert(recipe)
            .values(id=uuid7(), merchant_id=merchant_id, owner_type=owner_type, owner_id=owner_id)
            .on_conflict_do_update(
                index_elements=[recipe.c.merchant_id, recipe.c.owner_type, recipe.c.owner_id],
                set_={"updated_at": utcnow()},
            )
            .returning(recipe.c.id)
        )
    ).scalar_one()
    table = t.recipe_line
    removed = await session.execute(
        delete(table)
        .where(table.c.merchant_id == merchant_id, table.c.recipe_id == recipe_id)
        .returning(table.c.position, table.c.material_id, table.c.quantity)
    )
    before = [(row.material_id, row.quantity) for row in sorted(removed, key=lambda r: r.position)]
    if lines:
        await session.execute(
            insert(t.recipe_line),
            [
                {
                    "id": uuid7(),
                    "merchant_id": merchant_id,
                    "recipe_id": recipe_id,
                    "material_id": line.material_id,
                    "quantity": line.quantity,
                    "position": i,
                }
                for i, line in enumerate(lines)
            ],
        )
    return recipe_id, before


def _as_quantities(lines: Iterable[tuple[uuid.UUID, Decimal]]) -> dict[uuid.UUID, Decimal]:
    """A recipe as availability reads it: line order and a quantity's scale don't count."""
    return dict(lines)
