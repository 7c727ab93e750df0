"""Inventory items: the one idempotent upsert behind /v1, the product-variant CDC and sales.

Commerce owns product variants; an item arrives by whichever path comes first
(/v1 create, CDC, or a payment naming an unknown variant) and later paths converge
on the same row. CDC changes carry the Debezium source position (`source_lsn`);
one not above the stored position is ignored, so a late older change cannot undo
a newer one, and a delete that arrives first leaves an archived row behind that a
late create cannot resurrect.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.provisional_items import tracking_at_delete
from app.domain.quantities import require_not_negative
from app.domain.text import refuse_nul
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    availability_inputs_changed_event,
)
from app.outbox.writer import enqueue
from app.services import idempotency
from app.services.context import Actor
from app.services.merchants import ensure_merchant_row
from app.services.provisional_items import deduct_recorded_sales, take_over
from app.services.stock_ledger import Move, StockKey, apply_moves, lock_stocks

DEFAULT_NAME = "Unnamed variant"
DEFAULT_UNIT = "pcs"
INITIAL_STOCK_REASON = "initial stock"
CDC_ACTOR_LABEL = "consumer:product-variant.cdc"
_UPDATABLE = ("name", "sku", "track_inventory", "unit", "archived", "product_id")


@dataclass(frozen=True)
class ProductVariantUpsert:
    """What is known of a product variant; None leaves a stored field unchanged."""

    merchant_id: uuid.UUID
    product_variant_id: uuid.UUID
    name: str | None = None
    sku: str | None = None
    track_inventory: bool | None = None
    unit: str | None = None
    archived: bool | None = None
    product_id: uuid.UUID | None = None

    def changes(self) -> dict[str, Any]:
        return {k: v for k in _UPDATABLE if (v := getattr(self, k)) is not None}


@dataclass(frozen=True)
class InitialStock:
    location_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class EnsureItemResult:
    item_id: uuid.UUID
    created: bool
    # True when a CDC change was ignored for not being newer than the stored one.
    stale: bool


async def ensure_inventory_item(
    uow: UnitOfWork,
    upsert: ProductVariantUpsert,
    *,
    actor: Actor,
    source_lsn: int | None = None,
    initial_stocks: Sequence[InitialStock] = (),
    idempotency_key: str | None = None,
) -> EnsureItemResult:
    """Create or update the inventory item of a product variant, in one transaction.

    Initial stocks apply only when this call creates the item (ADJUSTMENT movements,
    reason "initial stock"), or takes over a provisional one that payments created: the
    first call that states tracking applies them as the stock before the recorded sales,
    then deducts those sales if the item is tracked (it counts as created). Their
    locations must be the merchant's, else NOT_FOUND on ("initialStocks", i,
    "locationId") and nothing is written. Lines at the same location are summed. With
    `idempotency_key`, a repeat of the same request returns the first result.
    """
    _check_input(upsert, actor)
    async with uow.transaction() as session:
        await ensure_merchant_row(session, actor.merchant_id)
        if idempotency_key is not None:
            request = {
                "upsert": asdict(upsert),
                "sourceLsn": source_lsn,
                "initialStocks": [asdict(line) for line in initial_stocks],
            }
            stored = await idempotency.claim(
                session, actor.merchant_id, idempotency_key, "ensureInventoryItem", request
            )
            if stored is not None:
                return EnsureItemResult(
                    uuid.UUID(stored["itemId"]), bool(stored["created"]), bool(stored["stale"])
                )
        totals = await _initial_totals(session, actor.merchant_id, initial_stocks)
        result = await upsert_item(session, upsert, source_lsn=source_lsn)
        takeover = None
        if not result.created and not result.stale:
            takeover = await take_over(
                session, actor.merchant_id, result.item_id, upsert.track_inventory
            )
        if (result.created or takeover is not None) and totals:
            await _apply_initial_stocks(session, actor, result.item_id, totals)
        if takeover is not None:
            # Created, as far as the catalogue can tell: the item is now what it says.
            await deduct_recorded_sales(session, actor, result.item_id, takeover)
            result = replace(result, created=True)
        if idempotency_key is not None:
            await idempotency.remember(
                session,
                actor.merchant_id,
                idempotency_key,
                {"itemId": result.item_id, "created": result.created, "stale": result.stale},
            )
    return result


async def archive_inventory_item(
    uow: UnitOfWork,
    merchant_id: uuid.UUID,
    product_variant_id: uuid.UUID,
    *,
    source_lsn: int | None,
    before: ProductVariantUpsert | None,
) -> EnsureItemResult:
    """A CDC delete: archive the item, creating it archived if it never existed.

    The archived row keeps the delete's source position, so an older create or
    update delivered afterwards is stale and cannot bring the item back. A provisional
    item is settled, as the catalogue's last word on it: by the tracking the delete's
    before-image states, else as untracked (see app/domain/provisional_items.py).
    """
    known = before or ProductVariantUpsert(merchant_id, product_variant_id)
    upsert = replace(
        known, merchant_id=merchant_id, product_variant_id=product_variant_id, archived=True
    )
    async with uow.transaction() as session:
        await ensure_merchant_row(session, merchant_id)
        result = await upsert_item(session, upsert, source_lsn=source_lsn)
        if not result.created and not result.stale:
            stated = tracking_at_delete(known.track_inventory)
            takeover = await take_over(session, merchant_id, result.item_id, stated)
            if takeover is not None:
                actor = Actor(merchant_id, CDC_ACTOR_LABEL)
                await deduct_recorded_sales(session, actor, result.item_id, takeover)
        return result


async def upsert_item(
    session: AsyncSession,
    upsert: ProductVariantUpsert,
    *,
    source_lsn: int | None = None,
    provisional: bool = False,
) -> EnsureItemResult:
    """The upsert itself, inside the caller's transaction (payments use it for unknown variants).

    Insert-or-nothing first, so concurrent creators of one variant converge on one row;
    then, for an existing row, apply the given fields unless the change is stale.
    `provisional` marks a row this call creates as not yet described by the catalogue.
    """
    item = t.inventory_item
    now = utcnow()
    changes = upsert.changes()
    created = (
        await session.execute(
            pg_insert(item)
            .values(
                {
                    "id": uuid7(),
                    "merchant_id": upsert.merchant_id,
                    "product_variant_id": upsert.product_variant_id,
                    "name": DEFAULT_NAME,
                    "track_inventory": False,
                    "unit": DEFAULT_UNIT,
                    "archived": False,
                    "source_lsn": source_lsn,
                    "provisional": provisional,
                    "created_at": now,
                    "updated_at": now,
                    **changes,
                }
            )
            .on_conflict_do_nothing(index_elements=[item.c.merchant_id, item.c.product_variant_id])
            .returning(item.c.id)
        )
    ).scalar_one_or_none()
    if created is not None:
        return EnsureItemResult(created, created=True, stale=False)
    scope = (item.c.merchant_id == upsert.merchant_id) & (
        item.c.product_variant_id == upsert.product_variant_id
    )
    if source_lsn is None and not changes:
        existing = (await session.execute(select(item.c.id).where(scope))).scalar_one()
        return EnsureItemResult(existing, created=False, stale=False)
    # The flags as they were, read under the row lock in the same statement: a change of
    # tracking or archiving can change availableToSell (see _stage_availability_change).
    before = (
        select(item.c.id, item.c.track_inventory, item.c.archived)
        .where(scope)
        .with_for_update()
        .subquery("before_update")
    )
    values: dict[str, Any] = {**changes, "updated_at": now}
    statement = update(item).where(item.c.id == before.c.id)
    if source_lsn is not None:
        values["source_lsn"] = source_lsn
        statement = statement.where(
            or_(item.c.source_lsn.is_(None), item.c.source_lsn < source_lsn)
        )
    updated = (
        await session.execute(
            statement.values(values).returning(
                item.c.id, before.c.track_inventory, before.c.archived
            )
        )
    ).one_or_none()
    if updated is not None:
        flags = _AvailabilityFlags(updated.track_inventory, updated.archived)
        await _stage_availability_change(session, upsert.merchant_id, updated.id, flags, changes)
        return EnsureItemResult(updated.id, created=False, stale=False)
    existing = (await session.execute(select(item.c.id).where(scope))).scalar_one()
    return EnsureItemResult(existing, created=False, stale=True)


@dataclass(frozen=True)
class _AvailabilityFlags:
    track_inventory: bool
    archived: bool


async def _stage_availability_change(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    item_id: uuid.UUID,
    before: _AvailabilityFlags,
    changes: dict[str, Any],
) -> None:
    """Tracking turned on or off changes availableToSell with no stock moving, and so may
    unarchiving (nothing is derived for an archived product meanwhile): stage the event
    the realtime path re-derives it from. Archiving changes no availableToSell."""
    tracked = changes.get("track_inventory", before.track_inventory)
    unarchived = before.archived and changes.get("archived") is False
    if tracked == before.track_inventory and not unarchived:
        return
    change = AvailabilityInputsChanged(
        merchant_id,
        item_id,
        utcnow(),
        tracked_before=None if tracked == before.track_inventory else before.track_inventory,
    )
    await enqueue(session, merchant_id, [availability_inputs_changed_event(change)])


def _check_input(upsert: ProductVariantUpsert, actor: Actor) -> None:
    problems = ProblemCollector()
    if upsert.merchant_id != actor.merchant_id:
        problems.add(UserErrorCode.NOT_FOUND, "merchant not found", ("merchantId",))
    refuse_nul(problems, {("name",): upsert.name, ("sku",): upsert.sku, ("unit",): upsert.unit})
    if upsert.name is not None and not upsert.name.strip():
        problems.add(UserErrorCode.REQUIRED, "must not be blank", ("name",))
    if upsert.unit is not None and not upsert.unit.strip():
        problems.add(UserErrorCode.REQUIRED, "must not be blank", ("unit",))
    problems.raise_if_any()


async def _initial_totals(
    session: AsyncSession, merchant_id: uuid.UUID, initial_stocks: Sequence[InitialStock]
) -> dict[uuid.UUID, Decimal]:
    """Initial quantity per location, checked: every problem of the list reported at once."""
    if not initial_stocks:
        return {}
    problems = ProblemCollector()
    wanted = {line.location_id for line in initial_stocks}
    known = set(
        (
            await session.execute(
                select(t.location.c.id).where(
                    t.location.c.merchant_id == merchant_id, t.location.c.id.in_(wanted)
                )
            )
        ).scalars()
    )
    totals: dict[uuid.UUID, Decimal] = {}
    for i, line in enumerate(initial_stocks):
        try:
            require_not_negative(line.quantity, ("initialStocks", i, "quantity"))
        except DomainError as error:
            problems.problems.extend(error.problems)
        if line.location_id not in known:
            problems.add(
                UserErrorCode.NOT_FOUND,
                f"location {line.location_id} not found",
                ("initialStocks", i, "locationId"),
            )
        totals[line.location_id] = totals.get(line.location_id, Decimal(0)) + line.quantity
    problems.raise_if_any()
    return totals


async def _apply_initial_stocks(
    session: AsyncSession, actor: Actor, item_id: uuid.UUID, totals: dict[uuid.UUID, Decimal]
) -> None:
    keys = {location_id: StockKey.product(location_id, item_id) for location_id in totals}
    stocks = await lock_stocks(session, actor.merchant_id, keys.values())
    moves = [
        Move(
            keys[location_id],
            MovementType.ADJUSTMENT,
            ReferenceType.MANUAL,
            str(item_id),
            delta_on_hand=quantity,
            reason=INITIAL_STOCK_REASON,
        )
        for location_id, quantity in totals.items()
        if quantity != 0
    ]
    await apply_moves(session, actor, stocks, moves)
