"""Prep recipes: what one batch of a prep item uses and how much it yields.

A prep recipe is a recipe owned by the prep item (owner PREP_ITEM, owner id the
material's id) with a yield in the item's base unit. Its lines may use other prep
items, never in a cycle. Sales and availability do not read it: a product's
availableToSell counts the prep item's own stock, what has been made.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import RecipeOwner
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.prep import makes_a_cycle
from app.domain.quantities import require_positive
from app.services.context import Actor
from app.services.recipes import RecipeLineInput, check_line_materials, check_lines, replace_lines
from app.services.text_input import collect
from app.services.unit_conversion import convert, material_book

MATERIAL_FIELD = ("materialId",)
LINES_FIELD = ("input", "lines")


@dataclass(frozen=True)
class PrepRecipeInput:
    yield_quantity: Decimal
    lines: Sequence[RecipeLineInput]
    yield_unit: str | None = None  # None: the prep item's base unit


async def set_prep_recipe(
    uow: UnitOfWork,
    actor: Actor,
    material_id: uuid.UUID,
    recipe: PrepRecipeInput | None,
) -> uuid.UUID:
    """Make the material a prep item with `recipe`, or (None) a bought material again.

    The material must be this merchant's (NOT_FOUND) and not archived (ARCHIVED) on
    materialId; the yield > 0 in `yield_unit` (INVALID / UNIT_MISMATCH on
    input.yieldQuantity / input.yieldUnit); lines as for product recipes, on
    ("input", "lines", i, …); a line using the item itself, or a prep item that uses
    it, is a cycle: INVALID on ("input", "lines").
    """
    problems = ProblemCollector()
    if recipe is not None:
        collect(problems, require_positive, recipe.yield_quantity, ("input", "yieldQuantity"))
        check_lines(recipe.lines, problems, LINES_FIELD)
    async with uow.transaction() as session:
        merchant_id = actor.merchant_id
        # One prep recipe change at a time per merchant: two changes that each look
        # acyclic alone could close a cycle together.
        await session.execute(
            select(func.pg_advisory_xact_lock(func.hashtextextended(f"prep:{merchant_id}", 0)))
        )
        book = await material_book(session, merchant_id, material_id, problems, MATERIAL_FIELD)
        if book is None or recipe is None:
            problems.raise_if_any()
            await _clear(session, merchant_id, material_id)
            return material_id
        yielded = convert(
            book,
            recipe.yield_quantity,
            recipe.yield_unit,
            problems,
            ("input", "yieldUnit"),
            ("input", "yieldQuantity"),
        )
        lines = await check_line_materials(
            session, merchant_id, recipe.lines, problems, LINES_FIELD
        )
        uses = await prep_recipe_uses(session, merchant_id)
        if makes_a_cycle(uses, material_id, (line.material_id for line in lines)):
            problems.add(
                UserErrorCode.INVALID,
                "a prep recipe cannot use its own prep item, directly or through another",
                LINES_FIELD,
            )
        problems.raise_if_any()
        assert yielded is not None
        recipe_id, _ = await replace_lines(
            session, merchant_id, RecipeOwner.PREP_ITEM, material_id, lines
        )
        await session.execute(
            update(t.recipe).where(t.recipe.c.id == recipe_id).values(yield_quantity=yielded.base)
        )
    return material_id


async def prep_recipe_uses(
    session: AsyncSession, merchant_id: uuid.UUID
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Every prep item of the merchant with the materials its prep recipe uses."""
    recipe, line = t.recipe, t.recipe_line
    rows = await session.execute(
        select(recipe.c.owner_id, line.c.material_id)
        .join(line, line.c.recipe_id == recipe.c.id)
        .where(
            recipe.c.merchant_id == merchant_id,
            recipe.c.owner_type == RecipeOwner.PREP_ITEM,
            line.c.merchant_id == merchant_id,
        )
    )
    uses: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for row in rows:
        uses[row.owner_id].add(row.material_id)
    return uses


async def _clear(session: AsyncSession, merchant_id: uuid.UUID, material_id: uuid.UUID) -> None:
    # Its lines go with it (ON DELETE CASCADE).
    await session.execute(
        delete(t.recipe).where(
            t.recipe.c.merchant_id == merchant_id,
            t.recipe.c.owner_type == RecipeOwner.PREP_ITEM,
            t.recipe.c.owner_id == material_id,
        )
    )
