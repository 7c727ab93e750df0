"""PAYMENT_SUCCESS → deduct tracked product stock, reserve recipe materials.

One transaction per payment. A paid sale is never refused: stock may go negative,
and the ledger flags it. Idempotent per (SALE_ORDER, saleOrderId, stockId).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.driver import locked_transaction
from app.domain.enums import MovementType, ReferenceType
from app.domain.errors import DomainError, ProblemCollector, UserErrorCode
from app.domain.quantities import require_positive
from app.services.context import Actor
from app.services.inventory_items import ProductVariantUpsert, upsert_item
from app.services.kitchen import (
    effect_moves,
    mark_applied,
    pending_effects,
    sale_order_lock_key,
)
from app.services.payment_reads import KnownItem, look_around
from app.services.recipe_snapshot import (
    RecordedSale,
    SaleSnapshot,
    build_snapshot,
    load_recorded_sale,
)
from app.services.stock_ledger import Move, MoveResult, StockKey, apply_moves, lock_stocks


@dataclass(frozen=True)
class SaleModifier:
    modifier_option_id: uuid.UUID
    quantity: Decimal


@dataclass(frozen=True)
class SaleItem:
    sale_order_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    quantity: Decimal
    modifiers: tuple[SaleModifier, ...] = ()


@dataclass(frozen=True)
class PaymentSucceeded:
    event_id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    sale_order_id: uuid.UUID
    items: tuple[SaleItem, ...]
    occurred_at: datetime
    payment_id: str | None = None


@dataclass(frozen=True)
class PaymentOutcome:
    movements_applied: int
    # Movements this sale order already had: a re-delivery applies nothing new.
    duplicates: int
    # Inventory item ids created on the fly for variants the CDC had not brought yet.
    created_items: tuple[uuid.UUID, ...]
    # Stock ids this payment took below zero (on hand or available).
    went_negative: tuple[uuid.UUID, ...]
    # Kitchen effects that had arrived before the payment and were applied now.
    kitchen_effects_applied: int = 0


async def apply_payment(
    sessions: async_sessionmaker[AsyncSession],
    payment: PaymentSucceeded,
    *,
    actor_label: str = "consumer:payment.success",
) -> PaymentOutcome:
    """Deduct tracked product stock (SALE), then reserve materials (SALE_RESERVATION).

    Materials are item quantity * item recipe plus, per modifier, item quantity *
    modifier quantity * modifier recipe, summed per material over the whole payment;
    the per-unit snapshot is stored on the reservation movements. Unknown variants
    become (untracked) inventory items on the fly. Kitchen effects that arrived first
    are applied right after the reservation from the snapshot just taken, so every
    arrival order ends in the same stock. A sale order whose payment is already in the
    ledger changes nothing, even if recipes or tracking changed since. The location
    must be the merchant's, else NOT_FOUND (nothing written). All stocks are locked in
    one `lock_stocks` call.
    """
    _check(payment)
    merchant_id = payment.merchant_id
    actor = Actor(merchant_id, actor_label)
    # A Connection, not an ORM Session: the payment's statements are Core, and the
    # session's machinery cost a fifth of the payment's CPU; the transaction begins
    # with the sale order's lock in one round trip. The rarer reads and writes that
    # take a session get one bound to this connection, inside the transaction.
    lock_key = sale_order_lock_key(merchant_id, payment.sale_order_id)
    async with (
        _engine(sessions).connect() as connection,
        locked_transaction(connection, lock_key) as driver,
        _Joined(connection) as joined,
    ):
        found = await look_around(
            driver,
            merchant_id,
            payment.location_id,
            payment.sale_order_id,
            [i.product_variant_id for i in payment.items],
            [m.modifier_option_id for i in payment.items for m in i.modifiers],
        )
        items, created = await _items(joined, merchant_id, payment.items, found.items)
        recorded = (
            await load_recorded_sale(await joined.session(), merchant_id, payment.sale_order_id)
            if found.paid
            else RecordedSale(0, SaleSnapshot())
        )
        sale: list[Move] = []
        if recorded.paid:
            snapshot = recorded.snapshot
        else:
            snapshot = build_snapshot(payment.location_id, payment.items, found.recipes)
            sale = _sale_moves(payment, items) + _reservation_moves(payment, snapshot)
        sold = {i.sale_order_item_id for i in payment.items}
        waiting = (
            await pending_effects(await joined.session(), merchant_id, payment.sale_order_id)
            if found.pending_effects
            else []
        )
        settled = [
            e
            for e in waiting
            if e.sale_order_item_id in sold or e.sale_order_item_id in snapshot.items
        ]
        # One batch per step, each with its own time, so the ledger reads as if the
        # kitchen events had come after the payment.
        batches = [sale] + [
            effect_moves(snapshot.items[e.sale_order_item_id], e)
            for e in settled
            if e.sale_order_item_id in snapshot.items
        ]
        stocks = await lock_stocks(driver, merchant_id, [m.key for b in batches for m in b])
        result = MoveResult()
        for batch in batches:
            done = await apply_moves(driver, actor, stocks, batch)
            result.applied += done.applied
            result.duplicates += done.duplicates
        if settled:
            await mark_applied(
                await joined.session(),
                merchant_id,
                payment.sale_order_id,
                [e.kitchen_ticket_item_id for e in settled],
            )
    negative = {a.stock.id for a in result.applied if a.movement.went_negative}
    return PaymentOutcome(
        movements_applied=len(result.applied),
        duplicates=recorded.movements + len(result.duplicates),
        created_items=tuple(created),
        went_negative=tuple(sorted(negative)),
        kitchen_effects_applied=len(settled),
    )


def _check(payment: PaymentSucceeded) -> None:
    problems = ProblemCollector()
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(payment.items):
        _positive(problems, item.quantity, ("items", i, "quantity"))
        for j, modifier in enumerate(item.modifiers):
            _positive(problems, modifier.quantity, ("items", i, "modifiers", j, "quantity"))
        if item.sale_order_item_id in seen:
            problems.add(
                UserErrorCode.DUPLICATE,
                "sale order item listed twice",
                ("items", i, "saleOrderItemId"),
            )
        seen.add(item.sale_order_item_id)
    problems.raise_if_any()


def _positive(problems: ProblemCollector, quantity: Decimal, field: tuple[str | int, ...]) -> None:
    try:
        require_positive(quantity, field)
    except DomainError as error:
        problems.problems.extend(error.problems)


def _engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("apply_payment needs a session factory bound to an AsyncEngine")
    return bind


class _Joined:
    """An ORM session on the payment's connection (inside its transaction), made only
    when needed."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        if self._session is None:
            # Its statements run in the payment's transaction, which commits or
            # rolls back with the payment; the session itself commits nothing.
            self._session = AsyncSession(
                bind=self._connection, expire_on_commit=False, autoflush=False
            )
        return self._session

    async def __aenter__(self) -> _Joined:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()


async def _items(
    joined: _Joined,
    merchant_id: uuid.UUID,
    sold: Sequence[SaleItem],
    known: dict[uuid.UUID, KnownItem],
) -> tuple[dict[uuid.UUID, KnownItem], list[uuid.UUID]]:
    """The inventory item of every sold variant, creating unknown ones (CDC may lag)."""
    items = dict(known)
    created: list[uuid.UUID] = []
    # Sorted, so two payments creating the same new variants wait instead of deadlocking.
    for variant_id in sorted({s.product_variant_id for s in sold}):
        if variant_id in items:
            continue
        session = await joined.session()
        result = await upsert_item(session, ProductVariantUpsert(merchant_id, variant_id))
        if result.created:
            created.append(result.item_id)
            items[variant_id] = KnownItem(result.item_id, False)
        else:
            item = t.inventory_item
            tracked = (
                await session.execute(
                    select(item.c.track_inventory).where(item.c.id == result.item_id)
                )
            ).scalar_one()
            items[variant_id] = KnownItem(result.item_id, tracked)
    return items, created


def _sale_moves(payment: PaymentSucceeded, items: dict[uuid.UUID, KnownItem]) -> list[Move]:
    totals: dict[StockKey, Decimal] = {}
    for sold in payment.items:
        item = items[sold.product_variant_id]
        if item.track_inventory:
            key = StockKey.product(payment.location_id, item.id)
            totals[key] = totals.get(key, Decimal(0)) + sold.quantity
    return [
        Move(
            key,
            MovementType.SALE,
            ReferenceType.SALE_ORDER,
            str(payment.sale_order_id),
            delta_on_hand=-quantity,
        )
        for key, quantity in sorted(totals.items())
    ]


def _reservation_moves(payment: PaymentSucceeded, snapshot: SaleSnapshot) -> list[Move]:
    return [
        Move(
            key,
            MovementType.SALE_RESERVATION,
            ReferenceType.SALE_ORDER,
            str(payment.sale_order_id),
            delta_reserved=quantity,
            recipe_snapshot=snapshot.movement_json(key),
        )
        for key, quantity in sorted(snapshot.reservations().items())
    ]
