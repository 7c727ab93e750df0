"""The one way stock changes: lock the rows in id order, append ledger rows, stage events.

Every flow (sales, kitchen, adjustments, receipts, transfers) builds `Move`s and
hands them to `apply_moves` inside its own transaction. The ledger's unique key
(merchant, reference type, reference id, stock, movement type, occurrence) makes a repeated
move a no-op, which is what keeps at-least-once consumers exactly-once in effect.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from app.db.driver import Transactional, driver_connection
from app.db.models.base import utcnow, uuid7
from app.domain.enums import ItemType
from app.domain.moves import ZERO, Move, StockKey
from app.domain.stock_rules import went_negative
from app.outbox.stock_events import stock_change_events
from app.outbox.writer import staging_request_id
from app.services import stock_ledger_sql as sql
from app.services.context import Actor
from app.services.stock_records import (
    AppliedMove,
    LedgerKey,
    LockedStock,
    Movement,
    MoveResult,
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
    return await lock_merchant_stocks(
        session, [(merchant_id, key) for key in keys], create_missing=create_missing
    )


async def lock_merchant_stocks(
    session: Transactional,
    keys: Iterable[tuple[uuid.UUID, StockKey]],
    *,
    create_missing: bool = True,
) -> dict[StockKey, LockedStock]:
    """`lock_stocks` for (merchant, stock key) pairs of any merchants: a batch of payments
    locks every stock it moves in one statement, in one global id order, so concurrent
    batches and single requests wait for each other instead of deadlocking.

    A location belongs to one merchant, so stock keys stay unique across merchants.
    """
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    driver = await driver_connection(session)
    params = _key_params(wanted)
    if create_missing:
        # Usually every stock exists: one statement locks them all. Otherwise it locks
        # none, so the creation below still precedes every lock, as it must for id order.
        rows = await sql.LOCK_IF_ALL_EXIST_DRIVER.fetch(driver, {**params, "expected": len(wanted)})
        if rows:
            return locked_stocks(rows)
        await sql.INSERT_STOCK_DRIVER.executemany(
            driver, [_new_stock_row(merchant_id, key) for merchant_id, key in wanted]
        )
    return locked_stocks(await sql.LOCK_DRIVER.fetch(driver, params))


def _key_params(keys: Sequence[tuple[uuid.UUID, StockKey]]) -> dict[str, Any]:
    product_keys: list[dict[str, str]] = []
    material_keys: list[dict[str, str]] = []
    for merchant_id, key in keys:
        triple = {
            "merchant_id": str(merchant_id),
            "location_id": str(key.location_id),
            "item_id": str(key.item_id),
        }
        (product_keys if key.item_type is ItemType.PRODUCT else material_keys).append(triple)
    return {"product_keys": product_keys, "material_keys": material_keys}


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


def locked_stocks(rows: Sequence[Any]) -> dict[StockKey, LockedStock]:
    """LockedStocks of rows as LOCK reads them (and any statement with its columns)."""
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
            par_level=row["par_level"],
            reorder_point=row["reorder_point"],
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
    [result] = await apply_move_steps(session, actor, stocks, [moves])
    return result


async def apply_move_steps(
    session: Transactional,
    actor: Actor,
    stocks: dict[StockKey, LockedStock],
    steps: Sequence[Sequence[Move]],
    *,
    request_ids: Sequence[str | None] | None = None,
) -> list[MoveResult]:
    """`apply_moves` for several steps in one statement: each step's movements get a
    time of their own, later than the step before, so the ledger reads as if each had
    been applied apart (a payment, then the kitchen effects waiting for it; the payments
    of a batch one after the other). A step's moves may be of any merchant: each
    movement and event belongs to its stock's merchant (the actor's merchant is not
    used). Duplicates are found across all steps, as if applied one after the other.
    `request_ids` (one per step, None for the actor's) is what each step's events carry.
    """
    if not any(steps):
        return [MoveResult() for _ in steps]
    driver = await driver_connection(session)
    times = _step_times(len(steps))
    existing: set[LedgerKey] = set()
    while True:
        results, after = _plan(actor, stocks, steps, existing, times, request_ids)
        applied = [a for r in results for a in r.applied]
        if not applied:
            return results
        # Written as if no key were in the ledger yet, the usual case, which saves
        # looking first. Under the stock locks nobody else adds these keys meanwhile.
        rows = await sql.WRITE_DRIVER.fetch(driver, _write_params(actor, applied, after, times[-1]))
        written = {row[0] for row in rows}
        if len(written) == len(applied):
            break
        # Some were (a re-delivery), and the statement changed nothing else: take back
        # the rows just written, which no one else can see and whose quantities
        # counted the duplicates, and plan again.
        existing |= {a.key for a in applied if a.movement.id not in written}
        if written:
            await sql.DELETE_MOVEMENTS_DRIVER.fetch(driver, {"ids": list(written)})
    for key, stock in after.items():
        held = stocks[key]
        held.on_hand, held.reserved, held.version = stock.on_hand, stock.reserved, stock.version
    return results


def _step_times(count: int) -> list[datetime]:
    # Strictly increasing, even when the clock has not moved between two steps.
    times = [utcnow()]
    for _ in range(count - 1):
        times.append(max(utcnow(), times[-1] + _TICK))
    return times


_TICK = timedelta(microseconds=1)


def _write_params(
    actor: Actor, applied: Sequence[AppliedMove], after: dict[StockKey, LockedStock], now: datetime
) -> dict[str, Any]:
    stocks = list(after.values())
    moves: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for a in applied:
        m, stock = a.movement, a.stock
        merchant_id = str(m.merchant_id)
        # Numbers and ids as text: exact, and what the statement's column types read.
        moves.append(
            {
                "id": str(m.id),
                "merchant_id": merchant_id,
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
                "entered_quantity": None if m.entered_quantity is None else str(m.entered_quantity),
                "entered_unit": m.entered_unit,
                "occurrence": m.occurrence,
                "occurred_at": m.occurred_at.isoformat(),
                "sold_at": None if m.sold_at is None else m.sold_at.isoformat(),
            }
        )
        for event in stock_change_events(
            stock,
            m,
            product_variant_id=(
                str(stock.product_variant_id) if stock.product_variant_id else None
            ),
            unit=stock.unit,
        ):
            # In the given order: the relay publishes by `seq`, and a key's events in order.
            events.append(
                {
                    "n": len(events),
                    "id": str(uuid7()),
                    "merchant_id": merchant_id,
                    "topic": event.topic,
                    "key": event.key,
                    "event_type": event.event_type,
                    "payload": event.payload,
                    "request_id": a.request_id,
                }
            )
    return {
        "batch_now": now,
        "batch_actor": actor.label,
        "batch_expected": len(moves),
        "batch_request_id": staging_request_id(actor.request_id),
        "moves": moves,
        "stocks": [
            {
                "id": str(s.id),
                "on_hand": str(s.on_hand),
                "reserved": str(s.reserved),
                "version": s.version,
            }
            for s in stocks
        ],
        "events": events,
    }


def _plan(
    actor: Actor,
    stocks: dict[StockKey, LockedStock],
    steps: Sequence[Sequence[Move]],
    existing: set[LedgerKey],
    times: Sequence[datetime],
    request_ids: Sequence[str | None] | None,
) -> tuple[list[MoveResult], dict[StockKey, LockedStock]]:
    """Per step, its movements minus duplicates; and each touched stock after them all."""
    results: list[MoveResult] = []
    after: dict[StockKey, LockedStock] = {}
    seen = set(existing)
    ids = request_ids if request_ids is not None else [None] * len(steps)
    for moves, now, request_id in zip(steps, times, ids, strict=True):
        result = MoveResult()
        results.append(result)
        for move in moves:
            stock = after.get(move.key) or stocks[move.key]
            key: LedgerKey = (
                move.reference_type,
                move.reference_id,
                stock.id,
                move.type,
                move.occurrence,
            )
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
                merchant_id=stock.merchant_id,
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
                went_negative=went_negative(stock.on_hand, stock.reserved),
                recipe_snapshot=move.recipe_snapshot,
                occurred_at=now,
                entered_quantity=move.entered_quantity,
                entered_unit=move.entered_unit,
                sold_at=move.sold_at,
                occurrence=move.occurrence,
            )
            result.applied.append(AppliedMove(movement, stock, request_id))
    return results, after


__all__ = [
    "AppliedMove",
    "LedgerKey",
    "LockedStock",
    "Move",
    "MoveResult",
    "Movement",
    "StockKey",
    "apply_move_steps",
    "apply_moves",
    "lock_merchant_stocks",
    "lock_stocks",
    "locked_stocks",
]
