"""Manual stock writes: adjustments, physical counts, waste and low-stock thresholds.

Each is one transaction: check the input, resolve the stock, claim the idempotency
key, convert the quantities given in `unit` to the item's base unit (once, see
app/domain/units.py), lock the stock row, decide against the locked quantities (the
domain's `app.domain.manual_changes`), append one MANUAL ledger row through
`stock_ledger` (with the quantity and unit as entered). Deciding under the lock is what
makes the compare-and-set (`changeFromQuantity`) and the below-zero refusal exact under
concurrency.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.models.base import utcnow, uuid7
from app.db.queries.movements import movements_by_id
from app.db.queries.stocks import stocks_by_id
from app.db.unit_of_work import UnitOfWork
from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import ProblemCollector, UserErrorCode
from app.domain.manual_changes import adjustment_delta, count_delta, waste_delta
from app.domain.quantities import (
    check_decimal,
    require_not_negative,
    require_positive,
)
from app.domain.stock_rules import threshold_change_crosses
from app.outbox.threshold_events import stock_threshold_changed_event
from app.outbox.writer import enqueue
from app.services.context import Actor
from app.services.idempotency import claim, remember
from app.services.stock_ledger import LockedStock, Move, StockKey, apply_moves, lock_stocks
from app.services.stock_records import Movement, WrittenStock
from app.services.stock_refs import StockRef, collect_locked_stock, collect_stock_ref
from app.services.text_input import collect, optional_text, required_text
from app.services.unit_conversion import Given, converted, in_base_unit

REASON_MAX_LENGTH = 500
STOCK_FIELD = ("input", "stock")


@dataclass(frozen=True)
class StockChangeResult:
    """The stock (and movement) a write changed. `stock` and `movement` are their rows as
    the transaction left them (what it wrote, or read in it: rows or records with the
    same attributes), so an answer needs no read after commit; None on a replay of an
    idempotency key (only the ids were stored)."""

    stock_id: uuid.UUID
    movement_id: uuid.UUID | None
    stock: Row[Any] | WrittenStock | None = field(default=None, compare=False)
    movement: Row[Any] | Movement | None = field(default=None, compare=False)

    def as_response(self) -> dict[str, Any]:
        return {"stockId": self.stock_id, "movementId": self.movement_id}

    @classmethod
    def from_response(cls, stored: Mapping[str, Any]) -> StockChangeResult:
        movement_id = stored.get("movementId")
        return cls(uuid.UUID(stored["stockId"]), uuid.UUID(movement_id) if movement_id else None)


async def as_written(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    stock_id: uuid.UUID,
    movement_id: uuid.UUID | None,
) -> StockChangeResult:
    """The result with its rows read inside the writing transaction."""
    stock = (await stocks_by_id(session, merchant_id, [stock_id]))[stock_id]
    movement = None
    if movement_id is not None:
        movement = (await movements_by_id(session, merchant_id, [movement_id]))[movement_id]
    return StockChangeResult(stock_id, movement_id, stock, movement)


# Turns a quantity given in the request's unit into the item's base unit.
ToBase = Callable[[Decimal], Decimal]
# Decides the movement's delta from the locked stock, or raises (stale, insufficient).
DeltaRule = Callable[[LockedStock, ToBase], Decimal]


async def adjust_stock(
    uow: UnitOfWork,
    actor: Actor,
    *,
    ref: StockRef,
    delta: Decimal,
    reason: str,
    change_from_quantity: Decimal | None = None,
    allow_negative: bool = False,
    unit: str | None = None,
    idempotency_key: str | None = None,
) -> StockChangeResult:
    """Add `delta` (non-zero) to on hand as an ADJUSTMENT with a reason.

    With `change_from_quantity`, on hand must still equal it when the row is locked
    (else CHANGE_FROM_QUANTITY_STALE). A negative delta that would take on hand below
    zero is INSUFFICIENT_STOCK unless `allow_negative`. `unit` (default: the item's
    base unit) is the unit of `delta` and `change_from_quantity`.
    """
    problems = ProblemCollector()
    clean_reason = required_text(
        reason, ("input", "reason"), problems, max_length=REASON_MAX_LENGTH
    )
    collect(problems, check_decimal, delta, ("input", "delta"))
    if delta.is_finite() and delta == 0:
        problems.add(UserErrorCode.INVALID, "must not be 0", ("input", "delta"))
    if change_from_quantity is not None:
        collect(
            problems,
            check_decimal,
            change_from_quantity,
            ("input", "changeFromQuantity"),
        )

    def rule(stock: LockedStock, to_base: ToBase) -> Decimal:
        return adjustment_delta(
            stock.on_hand,
            to_base(delta),
            change_from_quantity=(
                None if change_from_quantity is None else to_base(change_from_quantity)
            ),
            allow_negative=allow_negative,
        )

    request = {
        "stock": ref.as_input(),
        "delta": delta,
        "reason": clean_reason,
        "changeFromQuantity": change_from_quantity,
        "allowNegative": allow_negative,
        "unit": unit,
    }
    return await _write_movement(
        uow,
        actor,
        "stockAdjust",
        request,
        idempotency_key,
        ref,
        problems,
        MovementType.ADJUSTMENT,
        clean_reason,
        rule,
        Given(delta, unit),
    )


async def count_stock(
    uow: UnitOfWork,
    actor: Actor,
    *,
    ref: StockRef,
    counted_quantity: Decimal,
    reason: str | None = None,
    unit: str | None = None,
    idempotency_key: str | None = None,
) -> StockChangeResult:
    """Set on hand to a physical count (≥ 0, in `unit`); the COUNT movement records the difference.

    A count that matches still records a movement with delta 0, so the history shows
    the stock was counted.
    """
    problems = ProblemCollector()
    clean_reason = optional_text(
        reason, ("input", "reason"), problems, max_length=REASON_MAX_LENGTH
    )
    collect(problems, require_not_negative, counted_quantity, ("input", "countedQuantity"))
    request = {
        "stock": ref.as_input(),
        "countedQuantity": counted_quantity,
        "reason": clean_reason,
        "unit": unit,
    }
    return await _write_movement(
        uow,
        actor,
        "stockCount",
        request,
        idempotency_key,
        ref,
        problems,
        MovementType.COUNT,
        clean_reason,
        lambda stock, to_base: count_delta(stock.on_hand, to_base(counted_quantity)),
        Given(counted_quantity, unit),
    )


async def record_waste(
    uow: UnitOfWork,
    actor: Actor,
    *,
    ref: StockRef,
    quantity: Decimal,
    reason: str,
    unit: str | None = None,
    idempotency_key: str | None = None,
) -> StockChangeResult:
    """Take `quantity` (> 0, in `unit`) off on hand as WASTE; refuses to go below zero
    (INSUFFICIENT_STOCK)."""
    problems = ProblemCollector()
    clean_reason = required_text(
        reason, ("input", "reason"), problems, max_length=REASON_MAX_LENGTH
    )
    collect(problems, require_positive, quantity, ("input", "quantity"))

    request = {"stock": ref.as_input(), "quantity": quantity, "reason": clean_reason, "unit": unit}
    return await _write_movement(
        uow,
        actor,
        "stockWaste",
        request,
        idempotency_key,
        ref,
        problems,
        MovementType.WASTE,
        clean_reason,
        lambda stock, to_base: waste_delta(stock.on_hand, to_base(quantity)),
        Given(quantity, unit),
    )


async def set_low_stock_threshold(
    uow: UnitOfWork,
    actor: Actor,
    *,
    ref: StockRef,
    threshold: Decimal | None,
    unit: str | None = None,
) -> StockChangeResult:
    """Set (≥ 0, in `unit`) or clear (None) a stock's low-stock threshold; creates the row
    if missing.

    No movement and no version change: quantities did not change. When the change makes
    the stock low, or no longer low, it stages the internal stock-threshold-changed
    event, from which lowStock subscribers hear of it.
    """
    problems = ProblemCollector()
    if threshold is not None:
        collect(problems, require_not_negative, threshold, ("input", "lowStockThreshold"))
    async with uow.transaction() as session:
        key = await collect_stock_ref(session, actor.merchant_id, ref, STOCK_FIELD, problems)
        base = None
        if key is not None and threshold is not None:
            base = await in_base_unit(
                session, actor.merchant_id, key, Given(threshold, unit), problems
            )
        problems.raise_if_any()
        assert key is not None
        stock = (await lock_stocks(session, actor.merchant_id, [key]))[key]
        now = utcnow()
        new_threshold = None if base is None else base.base
        await session.execute(
            update(t.stock)
            .where(t.stock.c.id == stock.id)
            .values(low_stock_threshold=new_threshold, updated_at=now)
        )
        if threshold_change_crosses(stock.available, stock.low_stock_threshold, new_threshold):
            event = stock_threshold_changed_event(stock, new_threshold, now)
            await enqueue(session, actor.merchant_id, [event], request_id=actor.request_id)
        return await as_written(session, actor.merchant_id, stock.id, None)


async def _write_movement(
    uow: UnitOfWork,
    actor: Actor,
    operation: str,
    request: Mapping[str, Any],
    idempotency_key: str | None,
    ref: StockRef,
    problems: ProblemCollector,
    movement_type: MovementType,
    reason: str | None,
    rule: DeltaRule,
    given: Given,
) -> StockChangeResult:
    async with uow.transaction() as session:
        # Invalid input was never stored under a key: report it with the ref's problems.
        # Valid input replays before the ref is resolved again, so a replay returns the
        # first result even if the location was archived since.
        if idempotency_key is not None and not problems.problems:
            stored = await claim(session, actor.merchant_id, idempotency_key, operation, request)
            if stored is not None:
                return StockChangeResult.from_response(stored)
        # By stock id, one statement resolves and locks the stock and reads its units.
        key, book, held = await collect_locked_stock(
            session, actor.merchant_id, ref, STOCK_FIELD, problems
        )
        entered = None
        if key is not None:
            entered = await in_base_unit(
                session, actor.merchant_id, key, given, problems, book=book
            )
        problems.raise_if_any()
        assert key is not None
        assert entered is not None
        book = entered.book
        if held is not None:
            stocks = {key: held}
        else:
            stocks = await lock_stocks(session, actor.merchant_id, [key])
        move = Move(
            key,
            movement_type,
            ReferenceType.MANUAL,
            f"idem:{idempotency_key}" if idempotency_key is not None else str(uuid7()),
            delta_on_hand=rule(stocks[key], lambda q: converted(book, q, given.unit)),
            reason=reason,
            entered_quantity=entered.entered.quantity,
            entered_unit=entered.entered.unit,
        )
        moved = await apply_moves(session, actor, stocks, [move])
        if moved.applied:
            # The answer is what was just written: no read back.
            [applied] = moved.applied
            written = applied.movement
            result = StockChangeResult(
                written.stock_id, written.id, WrittenStock.of(applied), written
            )
        else:
            movement_id = await _recorded_movement_id(session, actor.merchant_id, stocks, move)
            result = await as_written(session, actor.merchant_id, stocks[key].id, movement_id)
        if idempotency_key is not None:
            await remember(session, actor.merchant_id, idempotency_key, result.as_response())
    return result


async def _recorded_movement_id(
    session: AsyncSession,
    merchant_id: uuid.UUID,
    stocks: Mapping[StockKey, LockedStock],
    move: Move,
) -> uuid.UUID:
    """The ledger row already holding this move's key (its idempotency key was purged)."""
    ledger = t.stock_movement
    movement_id: uuid.UUID = (
        await session.execute(
            select(ledger.c.id).where(
                ledger.c.merchant_id == merchant_id,
                ledger.c.reference_type == move.reference_type,
                ledger.c.reference_id == move.reference_id,
                ledger.c.stock_id == stocks[move.key].id,
                ledger.c.type == move.type,
            )
        )
    ).scalar_one()
    return movement_id
