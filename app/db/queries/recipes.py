"""Recipe reads: the lines of product-variant and modifier-option recipes, by owner."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import RecipeOwner


@dataclass
class RecipeRead:
    recipe_id: uuid.UUID
    owner_id: uuid.UUID
    updated_at: datetime
    yield_quantity: Decimal | None = None  # prep recipes only
    # Rows of (material_id, quantity, entered_quantity, entered_unit).
    lines: list[Any] = field(default_factory=list)


async def recipes_by_owner(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    owner_type: RecipeOwner,
    owner_ids: Iterable[uuid.UUID],
) -> dict[uuid.UUID, RecipeRead]:
    """The recipes (with lines in position order) of these owners; owners without one absent."""
    wanted = list(dict.fromkeys(owner_ids))
    if not wanted:
        return {}
    recipe, line = t.recipe, t.recipe_line
    statement = (
        select(
            recipe.c.id.label("recipe_id"),
            recipe.c.owner_id,
            recipe.c.updated_at,
            recipe.c.yield_quantity,
            line.c.material_id,
            line.c.quantity,
            line.c.entered_quantity,
            line.c.entered_unit,
        )
        .outerjoin(line, (line.c.recipe_id == recipe.c.id) & (line.c.merchant_id == merchant_id))
        .where(
            recipe.c.merchant_id == merchant_id,
            recipe.c.owner_type == owner_type,
            recipe.c.owner_id.in_(wanted),
        )
        .order_by(recipe.c.owner_id, line.c.position, line.c.id)
    )
    found: dict[uuid.UUID, RecipeRead] = {}
    for row in await session.execute(statement):
        read = found.setdefault(
            row.owner_id,
            RecipeRead(row.recipe_id, row.owner_id, row.updated_at, row.yield_quantity),
        )
        if row.material_id is not None:
            read.lines.append(row)
    return found
