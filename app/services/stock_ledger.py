"""The one way stock changes: lock the rows in id order, append ledger rows, stage events.

Every flow (sales, kitchen, adjustments, receipts, transfers) builds `Move`s and
hands them to `apply_moves` inside its own transaction. The ledger's unique key
(merchant, reference type, reference id, stock, movement type) makes a repeated
move a no-op, which is what keeps at-least-once consumers exactly-once in effect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models import StockMovement
from app.db.models.base import utcnow, uuid7
from app.domain.enums import ItemType, MovementType, ReferenceType
from app.outbox.stock_events import stock_change_events
from app.outbox.writer import PendingEvent, enqueue
from app.services.context import Actor

ZERO = Decimal(0)


@dataclass(frozen=True, order=True)
class StockKey:
    """A stock addressed by what it holds where; the row may not exist yet."""

    location_id: uuid.UUID
    item_type: ItemType
    item_id: uuid.UUID

    @classmethod
    def product(cls, location_id: uuid.UUID, inventory_item_id: uuid.UUID) -> StockKey:
        return cls(location_id, ItemType.PRODUCT, inventory_item_id)

    @classmethod
    def material(cls, location_id: uuid.UUID, material_id: uuid.UUID) -> StockKey:
        return cls(location_id, ItemType.MATERIAL, material_id)


@dataclass
class LockedStock:
    """A stock row held FOR UPDATE in this transaction, with what its events need."""

    id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    item_type: ItemType
    inventory_item_id: uuid.UUID | None
    material_id: uuid.UUID | None
    on_hand: Decimal
    reserved: Decimal
    version: int
    low_stock_threshold: Decimal | None
    unit: str | None
    product_variant_id: uuid.UUID | None

    @property
    def key(self) -> StockKey:
        item_id = self.inventory_item_id if self.item_type is ItemType.PRODUCT else self.material_id
        assert item_id is not None
        return StockKey(self.location_id, self.item_type, item_id)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass
class Move:
    key: StockKey
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: Decimal = ZERO
    delta_reserved: Decimal = ZERO
    reason: str | None = None
    recipe_snapshot: Any = None


@dataclass
class AppliedMove:
    movement: StockMovement
    stock: LockedStock  # the stock as of this movement (a copy: later moves don't change it)


@dataclass
class MoveResult:
    applied: list[AppliedMove] = field(default_factory=list)
    duplicates: list[Move] = field(default_factory=list)


async def lock_stocks(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    keys: Iterable[StockKey],
    *,
    create_missing: bool = True,
) -> dict[StockKey, LockedStock]:
    """Lock the stocks of `keys` in id order (creating missing ones), so no two requests deadlock.

    Items and locations must already be known to belong to `merchant_id`.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    if create_missing:
        await _create_missing(session, merchant_id, wanted)
    products = [(k.location_id, k.item_id) for k in wanted if k.item_type is ItemType.PRODUCT]
    materials = [(k.location_id, k.item_id) for k in wanted if k.item_type is ItemType.MATERIAL]
    stock, item, material = t.stock, t.inventory_item, t.material
    conditions = []
    if products:
        conditions.append(tuple_(stock.c.location_id, stock.c.inventory_item_id).in_(products))
    if materials:
        conditions.append(tuple_(stock.c.location_id, stock.c.material_id).in_(materials))
    statement = (
        select(
            stock.c.id,
            stock.c.merchant_id,
            stock.c.location_id,
            stock.c.item_type,
            stock.c.inventory_item_id,
            stock.c.material_id,
            stock.c.on_hand,
            stock.c.reserved,
            stock.c.version,
            stock.c.low_stock_threshold,
            item.c.unit.label("item_unit"),
            material.c.unit.label("material_unit"),
            item.c.product_variant_id,
        )
        .select_from(
            stock.outerjoin(item, item.c.id == stock.c.inventory_item_id).outerjoin(
                material, material.c.id == stock.c.material_id
            )
        )
        .where(stock.c.merchant_id == merchant_id, or_(*conditions))
        .order_by(stock.c.id)
        .with_for_update(of=stock)
    )
    rows = (await session.execute(statement)).all()
    locked: dict[StockKey, LockedStock] = {}
    for row in rows:
        held = LockedStock(
            id=row.id,
            merchant_id=row.merchant_id,
            location_id=row.location_id,
            item_type=ItemType(row.item_type),
            inventory_item_id=row.inventory_item_id,
            material_id=row.material_id,
            on_hand=row.on_hand,
            reserved=row.reserved,
            version=row.version,
            low_stock_threshold=row.low_stock_threshold,
            unit=row.item_unit if row.item_type == ItemType.PRODUCT else row.material_unit,
            product_variant_id=row.product_variant_id,
        )
        locked[held.key] = held
    return locked


async def _create_missing(
    session: AsyncSession, merchant_id: uuid.UUID, keys: Sequence[StockKey]
) -> None:
    rows: list[dict[str, Any]] = []
    for key in keys:
        is_product = key.item_type is ItemType.PRODUCT
        threshold = (
            None
            if is_product
            else select(t.material.c.default_low_stock_threshold)
            .where(t.material.c.id == key.item_id)
            .scalar_subquery()
        )
        rows.append(
            {
                "id": uuid7(),
                "merchant_id": merchant_id,
                "location_id": key.location_id,
                "item_type": key.item_type,
                "inventory_item_id": key.item_id if is_product else None,
                "material_id": None if is_product else key.item_id,
                "on_hand": ZERO,
                "reserved": ZERO,
                "version": 0,
                "low_stock_threshold": threshold,
            }
        )
    await session.execute(pg_insert(t.stock).values(rows).on_conflict_do_nothing())


async def _existing_move_keys(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    candidates: Sequence[tuple[str, str, uuid.UUID, str]],
) -> set[tuple[str, str, uuid.UUID, str]]:
    if not candidates:
        return set()
    ledger = t.stock_movement
    statement = select(
        ledger.c.reference_type, ledger.c.reference_id, ledger.c.stock_id, ledger.c.type
    ).where(
        ledger.c.merchant_id == merchant_id,
        tuple_(
            ledger.c.reference_type, ledger.c.reference_id, ledger.c.stock_id, ledger.c.type
        ).in_(candidates),
    )
    return {
        (ReferenceType(r[0]).value, r[1], r[2], MovementType(r[3]).value)
        for r in (await session.execute(statement)).all()
    }


async def apply_moves(
    session: AsyncSession,
    actor: Actor,
    stocks: dict[StockKey, LockedStock],
    moves: Sequence[Move],
) -> MoveResult:
    """Append each move to the ledger, update its stock and stage its events.

    A move whose ledger key already exists is reported as a duplicate and changes
    nothing. The caller holds the stock locks (`lock_stocks`) and decides the rules
    (may it go negative? is the compare-and-set fresh?) before calling.
    """

    def ledger_key(move: Move) -> tuple[str, str, uuid.UUID, str]:
        stock = stocks[move.key]
        return (move.reference_type.value, move.reference_id, stock.id, move.type.value)

    existing = await _existing_move_keys(session, actor.merchant_id, [ledger_key(m) for m in moves])
    result = MoveResult()
    now = utcnow()
    seen: set[tuple[str, str, uuid.UUID, str]] = set()
    for move in moves:
        key = ledger_key(move)
        if key in existing or key in seen:
            result.duplicates.append(move)
            continue
        seen.add(key)
        stock = stocks[move.key]
        stock.on_hand += move.delta_on_hand
        stock.reserved += move.delta_reserved
        stock.version += 1
        movement = StockMovement(
            id=uuid7(),
            merchant_id=actor.merchant_id,
            stock_id=stock.id,
            location_id=stock.location_id,
            type=move.type,
            reference_type=move.reference_type,
            reference_id=move.reference_id,
            delta_on_hand=move.delta_on_hand,
            delta_reserved=move.delta_reserved,
            on_hand_after=stock.on_hand,
            reserved_after=stock.reserved,
            reason=move.reason,
            actor=actor.label,
            went_negative=stock.on_hand < 0 or stock.available < 0,
            recipe_snapshot=move.recipe_snapshot,
            occurred_at=now,
        )
        result.applied.append(AppliedMove(movement, replace(stock)))
    if not result.applied:
        return result
    await session.execute(
        insert(t.stock_movement), [_movement_row(a.movement) for a in result.applied]
    )
    touched = {a.stock.id: stocks[a.stock.key] for a in result.applied}
    await session.execute(
        update(t.stock)
        .where(t.stock.c.id == bindparam("stock_id"))
        .values(
            on_hand=bindparam("on_hand"),
            reserved=bindparam("reserved"),
            version=bindparam("version"),
            updated_at=bindparam("updated_at"),
        ),
        [
            {
                "stock_id": s.id,
                "on_hand": s.on_hand,
                "reserved": s.reserved,
                "version": s.version,
                "updated_at": now,
            }
            for s in touched.values()
        ],
    )
    events: list[PendingEvent] = []
    for applied in result.applied:
        events.extend(
            stock_change_events(
                applied.stock,
                applied.movement,
                product_variant_id=(
                    str(applied.stock.product_variant_id)
                    if applied.stock.product_variant_id
                    else None
                ),
                unit=applied.stock.unit,
            )
        )
    await enqueue(session, actor.merchant_id, events, request_id=actor.request_id)
    return result


def _movement_row(movement: StockMovement) -> dict[str, Any]:
    return {
        "id": movement.id,
        "merchant_id": movement.merchant_id,
        "stock_id": movement.stock_id,
        "location_id": movement.location_id,
        "type": movement.type,
        "reference_type": movement.reference_type,
        "reference_id": movement.reference_id,
        "delta_on_hand": movement.delta_on_hand,
        "delta_reserved": movement.delta_reserved,
        "on_hand_after": movement.on_hand_after,
        "reserved_after": movement.reserved_after,
        "reason": movement.reason,
        "actor": movement.actor,
        "went_negative": movement.went_negative,
        "recipe_snapshot": movement.recipe_snapshot,
        "occurred_at": movement.occurred_at,
    }


__all__ = [
    "AppliedMove",
    "LockedStock",
    "Move",
    "MoveResult",
    "StockKey",
    "apply_moves",
    "lock_stocks",
]
