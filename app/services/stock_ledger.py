"""The one way stock changes: lock the rows in id order, append ledger rows, stage events.

Every flow (sales, kitchen, adjustments, receipts, transfers) builds `Move`s and
hands them to `apply_moves` inside its own transaction. The ledger's unique key
(merchant, reference type, reference id, stock, movement type) makes a repeated
move a no-op, which is what keeps at-least-once consumers exactly-once in effect.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from app.db.driver import Transactional, driver_connection
from app.db.models.base import utcnow, uuid7
from app.domain.enums import ItemType
from app.outbox.stock_events import stock_change_events
from app.outbox.writer import event_rows, staging_request_id
from app.services import stock_ledger_sql as sql
from app.services.context import Actor
from app.services.stock_records import (
    ZERO,
    AppliedMove,
    LedgerKey,
    LockedStock,
    Move,
    Movement,
    MoveResult,
    StockKey,
)


async def lock_stocks(
    session: Transactional,
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
    driver = await driver_connection(session)
    params = _key_params(merchant_id, wanted)
    if create_missing:
        # Usually every stock exists: one statement locks them all. Otherwise it locks
        # none, so the creation below still precedes every lock, as it must for id order.
        rows = await sql.LOCK_IF_ALL_EXIST_DRIVER.fetch(driver, {**params, "expected": len(wanted)})
        if rows:
            return _locked(rows)
        await sql.INSERT_STOCK_DRIVER.executemany(
            driver, [_new_stock_row(merchant_id, key) for key in wanted]
        )
    return _locked(await sql.LOCK_DRIVER.fetch(driver, params))


def _key_params(merchant_id: uuid.UUID, keys: Sequence[StockKey]) -> dict[str, Any]:
    products = [k for k in keys if k.item_type is ItemType.PRODUCT]
    materials = [k for k in keys if k.item_type is ItemType.MATERIAL]
    return {
        "merchant_id": merchant_id,
        "product_locations": [k.location_id for k in products],
        "product_items": [k.item_id for k in products],
        "material_locations": [k.location_id for k in materials],
        "material_items": [k.item_id for k in materials],
    }


def _new_stock_row(merchant_id: uuid.UUID, key: StockKey) -> dict[str, Any]:
    is_product = key.item_type is ItemType.PRODUCT
    return {
        "id": uuid7(),
        "merchant_id": merchant_id,
        "location_id": key.location_id,
        "item_type": key.item_type,
        "inventory_item_id": key.item_id if is_product else None,
        # A material's stock starts with the material's default threshold.
        sql.MATERIAL_REF: None if is_product else key.item_id,
        "on_hand": ZERO,
        "reserved": ZERO,
        "version": 0,
    }


def _locked(rows: Sequence[Any]) -> dict[StockKey, LockedStock]:
    locked: dict[StockKey, LockedStock] = {}
    for row in rows:
        item_type = ItemType(row["item_type"])
        held = LockedStock(
            id=row["id"],
            merchant_id=row["merchant_id"],
            location_id=row["location_id"],
            item_type=item_type,
            inventory_item_id=row["inventory_item_id"],
            material_id=row["material_id"],
            on_hand=row["on_hand"],
            reserved=row["reserved"],
            version=row["version"],
            low_stock_threshold=row["low_stock_threshold"],
            unit=row["item_unit" if item_type is ItemType.PRODUCT else "material_unit"],
            product_variant_id=row["product_variant_id"],
        )
        locked[held.key] = held
    return locked


async def apply_moves(
    session: Transactional,
    actor: Actor,
    stocks: dict[StockKey, LockedStock],
    moves: Sequence[Move],
) -> MoveResult:
    """Append each move to the ledger, update its stock and stage its events.

    A move whose ledger key already exists is reported as a duplicate and changes
    nothing. The caller holds the stock locks (`lock_stocks`) and decides the rules
    (may it go negative? is the compare-and-set fresh?) before calling.
    """
    if not moves:
        return MoveResult()
    driver = await driver_connection(session)
    now = utcnow()
    existing: set[LedgerKey] = set()
    while True:
        result, after = _plan(actor, stocks, moves, existing, now)
        if not result.applied:
            return result
        # Written as if no key were in the ledger yet, the usual case, which saves
        # looking first. Under the stock locks nobody else adds these keys meanwhile.
        rows = await sql.WRITE_DRIVER.fetch(driver, _write_params(actor, result, after, now))
        written = {row[0] for row in rows}
        if len(written) == len(result.applied):
            break
        # Some were (a re-delivery), and the statement changed nothing else: take back
        # the rows just written, which no one else can see and whose quantities
        # counted the duplicates, and plan again.
        existing |= {a.key for a in result.applied if a.movement.id not in written}
        if written:
            await sql.DELETE_MOVEMENTS_DRIVER.fetch(driver, {"ids": list(written)})
    for key, stock in after.items():
        held = stocks[key]
        held.on_hand, held.reserved, held.version = stock.on_hand, stock.reserved, stock.version
    return result


def _write_params(
    actor: Actor, result: MoveResult, after: dict[StockKey, LockedStock], now: datetime
) -> dict[str, Any]:
    movements = [a.movement for a in result.applied]
    stocks = list(after.values())
    events = [
        event
        for a in result.applied
        for event in stock_change_events(
            a.stock,
            a.movement,
            product_variant_id=(
                str(a.stock.product_variant_id) if a.stock.product_variant_id else None
            ),
            unit=a.stock.unit,
        )
    ]
    # Numbers and ids as text: exact, and what the statement's column types read.
    return {
        "batch_merchant_id": actor.merchant_id,
        "batch_actor": actor.label,
        "batch_now": now,
        "batch_expected": len(movements),
        "batch_request_id": staging_request_id(actor.request_id),
        "moves": [
            {
                "id": str(m.id),
                "stock_id": str(m.stock_id),
                "location_id": str(m.location_id),
                "type": m.type.value,
                "reference_type": m.reference_type.value,
                "reference_id": m.reference_id,
                "delta_on_hand": str(m.delta_on_hand),
                "delta_reserved": str(m.delta_reserved),
                "on_hand_after": str(m.on_hand_after),
                "reserved_after": str(m.reserved_after),
                "reason": m.reason,
                "went_negative": m.went_negative,
                "recipe_snapshot": json.dumps(m.recipe_snapshot),
            }
            for m in movements
        ],
        "stocks": [
            {
                "id": str(s.id),
                "on_hand": str(s.on_hand),
                "reserved": str(s.reserved),
                "version": s.version,
            }
            for s in stocks
        ],
        "events": event_rows(events),
    }


def _plan(
    actor: Actor,
    stocks: dict[StockKey, LockedStock],
    moves: Sequence[Move],
    existing: set[LedgerKey],
    now: datetime,
) -> tuple[MoveResult, dict[StockKey, LockedStock]]:
    """The movements of `moves` minus duplicates, and each touched stock after them."""
    result = MoveResult()
    after: dict[StockKey, LockedStock] = {}
    seen = set(existing)
    for move in moves:
        stock = after.get(move.key) or stocks[move.key]
        key: LedgerKey = (move.reference_type, move.reference_id, stock.id, move.type)
        if key in seen:
            result.duplicates.append(move)
            continue
        seen.add(key)
        stock = replace(
            stock,
            on_hand=stock.on_hand + move.delta_on_hand,
            reserved=stock.reserved + move.delta_reserved,
            version=stock.version + 1,
        )
        after[move.key] = stock
        movement = Movement(
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
        result.applied.append(AppliedMove(movement, stock))
    return result, after


__all__ = [
    "AppliedMove",
    "LedgerKey",
    "LockedStock",
    "Move",
    "MoveResult",
    "Movement",
    "StockKey",
    "apply_moves",
    "lock_stocks",
]
