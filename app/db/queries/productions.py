"""Production reads: listings with filters, and what a prep item's recipe could make."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Select, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries._lookup import rows_by_id
from app.domain.enums import RecipeOwner


def productions_statement(
    merchant_id: uuid.UUID,
    *,
    location_id: uuid.UUID | None = None,
    material_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    production = t.production
    statement = select(production).where(production.c.merchant_id == merchant_id)
    if location_id is not None:
        statement = statement.where(production.c.location_id == location_id)
    if material_id is not None:
        statement = statement.where(production.c.material_id == material_id)
    if since is not None:
        statement = statement.where(production.c.produced_at >= since)
    if until is not None:
        statement = statement.where(production.c.produced_at < until)
    return statement


async def productions_by_id(
    session: AsyncSession, merchant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    return await rows_by_id(session, t.production, merchant_id, ids)


ProducibleInputs = tuple[Decimal, list[tuple[Decimal | None, Decimal]]]


async def producible_inputs(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    keys: Iterable[tuple[uuid.UUID, uuid.UUID]],
) -> dict[tuple[uuid.UUID, uuid.UUID], ProducibleInputs]:
    """Per (prep item, location): its recipe's yield and, per line, (the ingredient's
    available there, None without a stock row; quantity per batch). Items without a
    prep recipe are absent."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    recipe, line, stock = t.recipe, t.recipe_line, t.stock
    locations = {location_id for _, location_id in wanted}
    rows = await session.execute(
        select(
            recipe.c.owner_id,
            recipe.c.yield_quantity,
            line.c.quantity,
            line.c.material_id,
            stock.c.location_id,
            stock.c.available,
        )
        .outerjoin(line, and_(line.c.recipe_id == recipe.c.id, line.c.merchant_id == merchant_id))
        .outerjoin(
            stock,
            and_(
                stock.c.merchant_id == merchant_id,
                stock.c.material_id == line.c.material_id,
                stock.c.location_id.in_(locations),
            ),
        )
        .where(
            recipe.c.merchant_id == merchant_id,
            recipe.c.owner_type == RecipeOwner.PREP_ITEM,
            recipe.c.owner_id.in_({material_id for material_id, _ in wanted}),
        )
    )
    # (item, ingredient) -> per batch; (ingredient, location) -> available.
    yields: dict[uuid.UUID, Decimal] = {}
    lines: dict[uuid.UUID, dict[uuid.UUID, Decimal]] = {}
    available: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    for row in rows:
        yields[row.owner_id] = row.yield_quantity
        item_lines = lines.setdefault(row.owner_id, {})
        if row.material_id is not None:
            item_lines[row.material_id] = row.quantity
        if row.location_id is not None:
            available[row.material_id, row.location_id] = row.available
    found: dict[tuple[uuid.UUID, uuid.UUID], ProducibleInputs] = {}
    for material_id, location_id in wanted:
        if material_id not in yields:
            continue
        found[material_id, location_id] = (
            yields[material_id],
            [
                (available.get((ingredient, location_id)), per_batch)
                for ingredient, per_batch in lines[material_id].items()
            ],
        )
    return found


__all__ = ["producible_inputs", "productions_by_id", "productions_statement"]
