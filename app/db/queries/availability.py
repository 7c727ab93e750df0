"""The inputs of availableToSell in one aggregate query for many (item, location) pairs
(the API's dataloader), and availableToSell itself computed in SQL for pages of items
(`with_available_to_sell`, the inventoryItems listing). What one stock or recipe change
can move, for the realtime derivation, is in `affected_products`."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    CTE,
    ColumnElement,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from app.db import tables as t
from app.domain.enums import RecipeOwner


class AvailabilityInputs(NamedTuple):
    # A tuple: a page builds hundreds (a frozen dataclass's __init__ costs ~4x as much).
    tracked: bool
    stock_available: Decimal | None
    # (material available or None without a stock row, quantity per unit) per recipe line
    recipe: list[tuple[Decimal | None, Decimal]]


async def availability_inputs(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Iterable[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], AvailabilityInputs]:
    """Per (inventory item id, location id): tracking, own stock, recipe materials' stock.

    Items of other merchants and unknown ids are absent from the answer. The pairs go
    as two arrays, so every page size runs the same prepared statement.
    """
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await session.execute(
        _inputs_statement(),
        {
            "merchant_id": merchant_id,
            "item_ids": [item_id for item_id, _ in wanted],
            "location_ids": [location_id for _, location_id in wanted],
        },
    )
    return {
        (item_id, location_id): AvailabilityInputs(
            tracked, stock_available, list(zip(material or (), per_unit or (), strict=True))
        )
        for item_id, location_id, tracked, stock_available, material, per_unit in rows
    }


@functools.cache
def _inputs_statement() -> Select[Any]:
    merchant_id = bindparam("merchant_id", type_=Uuid)
    item, recipe, line, location = t.inventory_item, t.recipe, t.recipe_line, t.location
    own, mat = t.stock.alias("own"), t.stock.alias("mat")
    pairs = (
        func.unnest(
            bindparam("item_ids", type_=ARRAY(Uuid)), bindparam("location_ids", type_=ARRAY(Uuid))
        )
        .table_valued(column("item_id", Uuid), column("location_id", Uuid))
        .render_derived(name="wanted")
    )
    has_line = line.c.id.is_not(None)
    return (
        select(
            pairs.c.item_id,
            pairs.c.location_id,
            item.c.track_inventory,
            own.c.available.label("stock_available"),
            raw_array(func.array_agg(mat.c.available).filter(has_line)).label("material"),
            raw_array(func.array_agg(line.c.quantity).filter(has_line)).label("per_unit"),
        )
        .select_from(
            pairs.join(item, and_(item.c.merchant_id == merchant_id, item.c.id == pairs.c.item_id))
            .join(
                location,
                and_(location.c.merchant_id == merchant_id, location.c.id == pairs.c.location_id),
            )
            .outerjoin(
                own,
                and_(
                    own.c.merchant_id == merchant_id,
                    own.c.location_id == pairs.c.location_id,
                    own.c.inventory_item_id == pairs.c.item_id,
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
            .outerjoin(
                line, and_(line.c.merchant_id == merchant_id, line.c.recipe_id == recipe.c.id)
            )
            .outerjoin(
                mat,
                and_(
                    mat.c.merchant_id == merchant_id,
                    mat.c.location_id == pairs.c.location_id,
                    mat.c.material_id == line.c.material_id,
                ),
            )
        )
        .group_by(pairs.c.item_id, pairs.c.location_id, item.c.track_inventory, own.c.available)
    )


def with_available_to_sell(page: CTE, locations: int) -> Select[Any]:
    """The rows of `page` (inventory_item rows, of one merchant) with availableToSell at
    `locations` locations as their last columns, one each: a page and its availability in
    one statement, one numeric per row instead of the recipe's arrays. Run it with
    `available_to_sell_params`.

    Set-based: each location's material stock is read once and hashed, and the recipes
    of the page's variants aggregated in one pass (a lateral subquery per item cost PG
    twice as much on the benchmark's 2 x 250 items).

    The same rule as app.domain.availability.available_to_sell over the same inputs as
    `availability_inputs`, value and scale (tests compare the two): a tracked item's own
    available when above zero, else 0 (a zero of any scale, or no stock row, reads 0);
    a recipe line's whole units div(available, quantity) (truncated, exact; quantities are
    positive) when its material's available is above zero, else 0; a tracked item keeps
    its own limit unless a line allows fewer units; neither: NULL. NULL too at a location
    that is not the merchant's, as the loader answers.
    """
    recipe, line, location = t.recipe, t.recipe_line, t.location
    merchant_id = bindparam("ats_merchant_id", type_=Uuid)
    zero = literal(0)
    source: Any = page
    columns: list[ColumnElement[Any]] = []
    variants = select(page.c.product_variant_id)
    for index in range(locations):
        location_id = bindparam(f"ats_location_{index}", type_=Uuid)
        own, stock = t.stock.alias(f"own_{index}"), t.stock.alias(f"mat_{index}")
        mat = (
            select(stock.c.material_id, stock.c.available)
            .where(
                stock.c.merchant_id == merchant_id,
                stock.c.location_id == location_id,
                stock.c.material_id.is_not(None),
            )
            .subquery(f"materials_{index}")
        )
        whole = func.greatest(func.div(mat.c.available, line.c.quantity), zero)
        line_units = case((mat.c.available > zero, whole), else_=zero)
        recipe_limit = (
            select(recipe.c.owner_id, func.min(line_units).label("units"))
            .select_from(
                recipe.join(
                    line, and_(line.c.merchant_id == merchant_id, line.c.recipe_id == recipe.c.id)
                ).outerjoin(mat, mat.c.material_id == line.c.material_id)
            )
            .where(
                recipe.c.merchant_id == merchant_id,
                recipe.c.owner_type == RecipeOwner.PRODUCT_VARIANT,
                recipe.c.owner_id.in_(variants),
            )
            .group_by(recipe.c.owner_id)
            .subquery(f"recipe_limit_{index}")
        )
        source = source.outerjoin(
            own,
            and_(
                own.c.merchant_id == merchant_id,
                own.c.location_id == location_id,
                own.c.inventory_item_id == page.c.id,
            ),
        ).outerjoin(recipe_limit, recipe_limit.c.owner_id == page.c.product_variant_id)
        tracked = case((own.c.available > zero, own.c.available), else_=zero)
        known_location = exists().where(
            location.c.merchant_id == merchant_id, location.c.id == location_id
        )
        units = recipe_limit.c.units
        value = case(
            (~known_location, null()),
            (page.c.track_inventory, case((units < tracked, units), else_=tracked)),
            else_=units,
        )
        columns.append(raw_array(value).label(f"available_to_sell_{index}"))
    return select(page, *columns).select_from(source)


def available_to_sell_params(
    merchant_id: uuid.UUID, location_ids: Sequence[uuid.UUID]
) -> dict[str, Any]:
    params: dict[str, Any] = {"ats_merchant_id": merchant_id}
    for index, location_id in enumerate(location_ids):
        params[f"ats_location_{index}"] = location_id
    return params


def raw_array(aggregate: ColumnElement[Any]) -> ColumnElement[Any]:
    """An array as the driver returns it (a list of Decimal or None): SQLAlchemy's ARRAY
    result processing copies every list, to the same values."""
    return type_coerce(aggregate, NullType())
