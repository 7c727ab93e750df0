"""The products one change can move, with their availableToSell inputs before and after:
what the realtime `availabilityChanged` derivation reads (app/realtime/availability.py).

A stock change moves its own product or every product whose item recipe uses the
material, at one location; a change of a product's own inputs (recipe, tracking) moves
that product at every location. Each is one aggregate statement."""

from __future__ import annotations

import functools
import uuid
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries.availability import AvailabilityInputs, raw_array
from app.domain.enums import ItemType, RecipeOwner, ReferenceType


@dataclass(frozen=True)
class StockChangeRef:
    """One stock change as the realtime path saw it: what moved where, and in which batch.

    The batch is every movement with the same reference at the same instant and
    location: one `apply_moves` call, e.g. a payment's sale and all its reservations.
    """

    location_id: uuid.UUID
    item_type: ItemType
    item_id: uuid.UUID
    reference_type: ReferenceType
    reference_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class Published:
    available_to_sell: Decimal | None
    version: int


@dataclass(frozen=True)
class AffectedProduct:
    item: Any  # the inventory_item row (its columns as attributes)
    now: AvailabilityInputs
    # The same inputs without the batch's movements: what the batch changed from.
    before: AvailabilityInputs
    published: Published | None


async def affected_products(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    change: StockChangeRef,
    *,
    with_published: bool,
) -> list[AffectedProduct]:
    """The products whose availableToSell at the location a stock change can move.

    A product's own stock moves only itself; a material moves every (not archived)
    product whose item recipe uses it (modifier recipes don't limit a product). One
    aggregate statement for all of them: their inputs now, the batch's deltas on each
    input (to tell the value before), and, with `with_published`, the value last
    published (`published_availability`).
    """
    rows = await session.execute(
        _affected_statement(change.item_type, with_published),
        {
            "merchant_id": merchant_id,
            "location_id": change.location_id,
            "item_id": change.item_id,
            "reference_type": change.reference_type,
            "reference_id": change.reference_id,
            "occurred_at": change.occurred_at,
        },
    )
    make = _row_type(tuple(rows.keys()))._make
    return [_affected(make(row), with_published) for row in rows]


@functools.lru_cache(maxsize=8)
def _row_type(names: tuple[str, ...]) -> Any:
    # A row per product, read a dozen times: a namedtuple's attributes cost ~1/20 of
    # SQLAlchemy Row's.
    return namedtuple("affected_row", names)  # type: ignore[misc]


@dataclass(frozen=True)
class InputsBefore:
    """What a change of a product's inputs (not its stock) replaced; None: as it is now."""

    tracked: bool | None
    recipe: Sequence[tuple[uuid.UUID, Decimal]] | None  # (material id, quantity per unit)


async def product_everywhere(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_id: uuid.UUID,
    before: InputsBefore,
    *,
    with_published: bool,
) -> list[tuple[uuid.UUID, AffectedProduct]]:
    """The product (unless archived) at every location of the merchant, by location id:
    its inputs now, the inputs `before` replaced (the old recipe's materials read at
    each location now), and, with `with_published`, the value last published there.

    The statement of `affected_products`, with the merchant's locations in place of the
    one location and no batch: a recipe or tracking change moves no stock.
    """
    previous = before.recipe
    rows = await session.execute(
        _affected_statement(None, with_published),
        {
            "merchant_id": merchant_id,
            "item_id": item_id,
            "previous_materials": [material_id for material_id, _ in previous or ()],
        },
    )
    make = _row_type(tuple(rows.keys()))._make
    return [(row.location_id, _everywhere(row, before, with_published)) for row in map(make, rows)]


@functools.cache
def _affected_statement(moved: ItemType | None, with_published: bool) -> Select[Any]:
    """Built once per shape: executions only bind values (one prepared statement each).

    `moved`: the item type of the stock change (its products at its location, with the
    batch's deltas), or None for one product at every location (`product_everywhere`).
    """
    merchant_id = bindparam("merchant_id", type_=Uuid)
    item, recipe, line, ledger = t.inventory_item, t.recipe, t.recipe_line, t.stock_movement
    own, mat = t.stock.alias("own"), t.stock.alias("mat")
    location_id: ColumnElement[Any]
    products: Any
    if moved is None:
        location = t.location
        location_id = location.c.id
        products = item.join(location, location.c.merchant_id == merchant_id)
        affected = item.c.id == bindparam("item_id")
    else:
        location_id = bindparam("location_id", type_=Uuid)
        batch = (
            select(
                ledger.c.stock_id,
                func.sum(ledger.c.delta_on_hand - ledger.c.delta_reserved).label("delta"),
            )
            .where(
                ledger.c.merchant_id == merchant_id,
                ledger.c.reference_type == bindparam("reference_type"),
                ledger.c.reference_id == bindparam("reference_id"),
                ledger.c.location_id == location_id,
                ledger.c.occurred_at == bindparam("occurred_at"),
            )
            .group_by(ledger.c.stock_id)
            .cte("batch")
        )
        own_batch, mat_batch = batch.alias("own_batch"), batch.alias("mat_batch")
    if moved is ItemType.PRODUCT:
        products = item
        affected = item.c.id == bindparam("item_id")
    elif moved is ItemType.MATERIAL:
        # The material's users first, then their items and recipes (by index): the
        # merchant's other recipes are never joined. A variant has one item recipe and a
        # recipe a material once, so each user is one product.
        users_recipe = recipe.alias("users_recipe")
        users_line = line.alias("users_line")
        users = (
            select(users_recipe.c.owner_id)
            .select_from(users_line.join(users_recipe, users_recipe.c.id == users_line.c.recipe_id))
            .where(
                users_line.c.merchant_id == merchant_id,
                users_line.c.material_id == bindparam("item_id"),
                users_recipe.c.merchant_id == merchant_id,
                users_recipe.c.owner_type == RecipeOwner.PRODUCT_VARIANT,
            )
            .subquery("users")
        )
        products = users.join(
            item,
            and_(item.c.merchant_id == merchant_id, item.c.product_variant_id == users.c.owner_id),
        )
        affected = true()
    has_line = line.c.id.is_not(None)
    material = raw_array(func.array_agg(mat.c.available).filter(has_line)).label("material")
    per_unit = raw_array(func.array_agg(line.c.quantity).filter(has_line)).label("per_unit")
    columns: list[Any]
    source = products.outerjoin(
        own,
        and_(
            own.c.merchant_id == merchant_id,
            own.c.location_id == location_id,
            own.c.inventory_item_id == item.c.id,
        ),
    )
    if moved is None:
        columns = [
            *item.c,
            location_id.label("location_id"),
            own.c.available.label("stock_available"),
            material,
            per_unit,
            _previous_materials(merchant_id, location_id).label("previous_material"),
        ]
        grouped: list[Any] = [item.c.id, location_id, own.c.available]
    else:
        columns = [
            *item.c,
            own.c.available.label("stock_available"),
            own_batch.c.delta.label("stock_delta"),
            material,
            per_unit,
            raw_array(func.array_agg(mat_batch.c.delta).filter(has_line)).label("material_delta"),
        ]
        grouped = [item.c.id, own.c.available, own_batch.c.delta]
        source = source.outerjoin(own_batch, own_batch.c.stock_id == own.c.id)
    source = (
        source.outerjoin(
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
                mat.c.location_id == location_id,
                mat.c.material_id == line.c.material_id,
            ),
        )
    )
    if moved is not None:
        source = source.outerjoin(mat_batch, mat_batch.c.stock_id == mat.c.id)
    if with_published:
        state = t.published_availability
        source = source.outerjoin(
            state,
            and_(
                state.c.merchant_id == merchant_id,
                state.c.location_id == location_id,
                state.c.inventory_item_id == item.c.id,
            ),
        )
        columns += [
            state.c.available_to_sell.label("published_value"),
            state.c.version.label("published_version"),
        ]
        grouped += [state.c.available_to_sell, state.c.version]
    return (
        select(*columns)
        .select_from(source)
        .where(item.c.merchant_id == merchant_id, item.c.archived.is_(False), affected)
        .group_by(*grouped)
        .order_by(item.c.id if moved is not None else location_id)
    )


def _previous_materials(
    merchant_id: ColumnElement[Any], location_id: ColumnElement[Any]
) -> ColumnElement[Any]:
    """The available of each `previous_materials` at the location, in their order (None
    without a stock row); NULL for none."""
    previous = (
        func.unnest(bindparam("previous_materials", type_=ARRAY(Uuid)))
        .table_valued(column("material_id", Uuid), with_ordinality="n")
        .render_derived(name="previous")
    )
    stock = t.stock.alias("previous_stock")
    return (
        select(raw_array(func.array_agg(aggregate_order_by(stock.c.available, previous.c.n))))
        .select_from(
            previous.outerjoin(
                stock,
                and_(
                    stock.c.merchant_id == merchant_id,
                    stock.c.location_id == location_id,
                    stock.c.material_id == previous.c.material_id,
                ),
            )
        )
        .scalar_subquery()
    )


def _everywhere(row: Any, before: InputsBefore, with_published: bool) -> AffectedProduct:
    now = AvailabilityInputs(
        tracked=row.track_inventory,
        stock_available=row.stock_available,
        recipe=list(zip(row.material or (), row.per_unit or (), strict=True)),
    )
    previous = before.recipe
    then = AvailabilityInputs(
        tracked=row.track_inventory if before.tracked is None else before.tracked,
        stock_available=row.stock_available,
        recipe=now.recipe
        if previous is None
        else list(zip(row.previous_material or (), (q for _, q in previous), strict=True)),
    )
    published = None
    if with_published and row.published_version is not None:
        published = Published(row.published_value, row.published_version)
    return AffectedProduct(row, now, then, published)


def _affected(row: Row[Any], with_published: bool) -> AffectedProduct:
    material = list(row.material or [])
    per_unit = list(row.per_unit or [])
    deltas = list(row.material_delta or [])
    now = AvailabilityInputs(
        tracked=row.track_inventory,
        stock_available=row.stock_available,
        recipe=list(zip(material, per_unit, strict=True)),
    )
    before = AvailabilityInputs(
        tracked=row.track_inventory,
        stock_available=_without(row.stock_available, row.stock_delta),
        recipe=[
            (_without(available, delta), quantity)
            for available, quantity, delta in zip(material, per_unit, deltas, strict=True)
        ],
    )
    published = None
    if with_published and row.published_version is not None:
        published = Published(row.published_value, row.published_version)
    return AffectedProduct(row, now, before, published)


def _without(available: Decimal | None, delta: Decimal | None) -> Decimal | None:
    if available is None or delta is None:
        return available
    return available - delta
