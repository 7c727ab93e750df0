"""Recipes: the materials one unit of a product variant or of a modifier option uses.

A recipe is keyed by commerce's id of what it belongs to (`recipe.owner_type`,
`recipe.owner_id` = the product variant id or the modifier option id) and its lines
are always replaced as a whole. A line's quantity may be given in any unit that
converts for its material: it is kept in the material's base unit (converted once)
with the quantity and unit as entered beside it.
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
from app.domain.errors import FieldPath, ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    RecipeLines,
    availability_inputs_changed_event,
)
from app.outbox.writer import enqueue
from app.services.context import Actor
from app.services.text_input import collect
from app.services.unit_conversion import Entered, book_from_row, convert

MAX_LINES = 100
VARIANT_FIELD = ("productVariantId",)


@dataclass(frozen=True)
class RecipeLineInput:
    material_id: uuid.UUID
    quantity: Decimal
    unit: str | None = None  # None: the material's base unit


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
    check_lines(lines, problems)
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
        converted = await check_line_materials(session, actor.merchant_id, lines, problems)
        problems.raise_if_any()
        assert item is not None
        recipe_id, before = await replace_lines(
            session, actor.merchant_id, RecipeOwner.PRODUCT_VARIANT, product_variant_id, converted
        )
        after = ((line.material_id, line.base) for line in converted)
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
    "quantity")); a unit must convert for the material (UNIT_MISMATCH on ("lines", i,
    "unit")). All problems are reported together. Modifier options are commerce's;
    any id is accepted and scoped to this merchant.
    """
    problems = ProblemCollector()
    check_lines(lines, problems)
    async with uow.transaction() as session:
        converted = await check_line_materials(session, actor.merchant_id, lines, problems)
        problems.raise_if_any()
        recipe_id, _ = await replace_lines(
            session, actor.merchant_id, RecipeOwner.MODIFIER_OPTION, modifier_option_id, converted
        )
    return ModifierRecipeResult(modifier_option_id, recipe_id)


@dataclass(frozen=True)
class ConvertedLine:
    """A recipe line in its material's base unit, with what was entered."""

    material_id: uuid.UUID
    entered: Entered

    @property
    def base(self) -> Decimal:
        return self.entered.base


def check_lines(
    lines: Sequence[RecipeLineInput], problems: ProblemCollector, field: FieldPath = ("lines",)
) -> None:
    """At most MAX_LINES, quantities > 0 (6 places), each material once (DUPLICATE)."""
    if len(lines) > MAX_LINES:
        problems.add(UserErrorCode.INVALID, f"at most {MAX_LINES} lines", field)
    seen: set[uuid.UUID] = set()
    for i, line in enumerate(lines):
        collect(problems, require_positive, line.quantity, (*field, i, "quantity"))
        if line.material_id in seen:
            problems.add(
                UserErrorCode.DUPLICATE,
                "this material is already on another line",
                (*field, i, "materialId"),
            )
        seen.add(line.material_id)


async def check_line_materials(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    lines: Sequence[RecipeLineInput],
    problems: ProblemCollector,
    field: FieldPath = ("lines",),
) -> list[ConvertedLine]:
    """NOT_FOUND / ARCHIVED / UNIT_MISMATCH per line, and the lines in base units; the
    material rows stay share-locked so no unit changes meanwhile."""
    if not lines:
        return []
    rows = (
        await session.execute(
            select(t.material.c.id, t.material.c.archived, t.material.c.unit, t.material.c.units)
            .where(
                t.material.c.merchant_id == merchant_id,
                t.material.c.id.in_({line.material_id for line in lines}),
            )
            .order_by(t.material.c.id)
            .with_for_update(read=True)
        )
    ).all()
    found = {row.id: row for row in rows}
    converted: list[ConvertedLine] = []
    for i, line in enumerate(lines):
        path = (*field, i, "materialId")
        row = found.get(line.material_id)
        if row is None:
            problems.add(UserErrorCode.NOT_FOUND, "no such material", path)
            continue
        if row.archived:
            problems.add(UserErrorCode.ARCHIVED, "the material is archived", path)
        book = book_from_row(row.unit, row.units)
        entered = convert(
            book,
            line.quantity,
            line.unit,
            problems,
            (*field, i, "unit"),
            (*field, i, "quantity"),
        )
        if entered is not None:
            converted.append(ConvertedLine(line.material_id, entered))
    return converted


async def replace_lines(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    owner_type: RecipeOwner,
    owner_id: uuid.UUID,
    lines: Sequence[ConvertedLine],
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
                    "quantity": line.base,
                    "position": i,
                    **line.entered.as_columns(),
                }
                for i, line in enumerate(lines)
            ],
        )
    return recipe_id, before


def _as_quantities(lines: Iterable[tuple[uuid.UUID, Decimal]]) -> dict[uuid.UUID, Decimal]:
    """A recipe as availability reads it: line order and a quantity's scale don't count."""
    return dict(lines)
