"""The inputs of availableToSell for many (item, location) pairs in one aggregate query."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import RecipeOwner


@dataclass(frozen=True)
class AvailabilityInputs:
    tracked: bool
    stock_available: Decimal | None
    # (material available or None without a stock row, quantity per unit) per recipe line
    recipe: list[tuple[Decimal | None, Decimal]]


async def availability_inputs(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], AvailabilityInputs]:
    """Per (inventory item id, location id): tracking, own stock, recipe materials' stock.

    Items of other merchants and unknown ids are absent from the answer.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    item, recipe, line = t.inventory_item, t.recipe, t.recipe_line
    location = t.location
    own, mat = t.stock.alias("own"), t.stock.alias("mat")
    statement = (
        select(
            item.c.id.label("item_id"),
            location.c.id.label("location_id"),
            item.c.track_inventory,
            own.c.available.label("stock_available"),
            func.array_agg(mat.c.available).filter(line.c.id.is_not(None)).label("material"),
            func.array_agg(line.c.quantity).filter(line.c.id.is_not(None)).label("per_unit"),
        )
        .select_from(item)
        .join(location, location.c.merchant_id == merchant_id)
        .outerjoin(
            own,
            and_(
                own.c.merchant_id == merchant_id,
                own.c.location_id == location.c.id,
                own.c.inventory_item_id == item.c.id,
            ),
        )
        .outerjoin(
            recipe,
            and_(
                recipe.c.merchant_id == merchant_id,
                recipe.c.owner_type == RecipeOwner.PRODUCT_VARIANT,
                recipe.c.owner_id == item.c.product_variant_id,
            ),
        )
        .outerjoin(line, and_(line.c.merchant_id == merchant_id, line.c.recipe_id == recipe.c.id))
        .outerjoin(
            mat,
            and_(
                mat.c.merchant_id == merchant_id,
                mat.c.location_id == location.c.id,
                mat.c.material_id == line.c.material_id,
            ),
        )
        .where(item.c.merchant_id == merchant_id, tuple_(item.c.id, location.c.id).in_(wanted))
        .group_by(item.c.id, location.c.id, item.c.track_inventory, own.c.available)
    )
    return {
        (row.item_id, row.location_id): AvailabilityInputs(
            tracked=row.track_inventory,
            stock_available=row.stock_available,
            recipe=list(zip(row.material or [], row.per_unit or [], strict=True)),
        )
        for row in await session.execute(statement)
    }
