"""What one payment moves, planned in Python once its batch's reads are in.

A payment sells tracked products (SALE), reserves recipe materials
(SALE_RESERVATION), and applies the kitchen effects that arrived before it; a sale
order already paid (in the ledger, or earlier in the same batch) moves nothing of
its own. `apply_payments` plans every payment of a batch here, in order, then locks
and writes them all at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import tables as t
from app.domain.enums import MovementType, ReferenceType
from app.services.inventory_items import ProductVariantUpsert, upsert_item
from app.services.kitchen import effect_moves, mark_applied, pending_effects
from app.services.payment_reads import KnownItem, PaymentPlace, PaymentSurroundings
from app.services.recipe_snapshot import (
    RecordedSale,
    SaleItemLike,
    SaleSnapshot,
    build_snapshot,
    load_recorded_sale,
)
from app.services.stock_records import Move, StockKey


class PaymentLike(PaymentPlace, Protocol):
    @property
    def items(self) -> Sequence[SaleItemLike]: ...


@dataclass
class PaymentPlan:
    # The sale and reservations first, then one step per kitchen effect it settles.
    steps: list[list[Move]]
    # Movements the sale order already had (a re-delivery moves nothing of its own).
    recorded: int
    kitchen_effects: int


@dataclass
class BatchMemory:
    """What the payments planned so far in this batch did, as the ledger would tell
    the next one had each been committed alone."""

    # Sale orders paid in the ledger or earlier in the batch, with what they recorded.
    sales: dict[tuple[uuid.UUID, uuid.UUID], RecordedSale] = field(default_factory=dict)
    # Kitchen ticket items whose pending effect an earlier payment settled.
    settled: set[uuid.UUID] = field(default_factory=set)


class Joined:
    """An ORM session on the batch's connection (inside its transaction), made only
    when needed: for the rare reads and writes that are not on the hot path."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._session: AsyncSession | None = None

    async def session(self) -> AsyncSession:
        if self._session is None:
            # Its statements run in the batch's transaction, which commits or rolls
            # back with it; the session itself commits nothing.
            self._session = AsyncSession(
                bind=self._connection, expire_on_commit=False, autoflush=False
            )
        return self._session

    async def __aenter__(self) -> Joined:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()


async def plan_payment(
    joined: Joined,
    payment: PaymentLike,
    found: PaymentSurroundings,
    items: dict[uuid.UUID, KnownItem],
    memory: BatchMemory,
) -> PaymentPlan:
    """The moves of one payment, given what its batch read and planned before it."""
    merchant_id, order = payment.merchant_id, payment.sale_order_id
    recorded = memory.sales.get((merchant_id, order))
    if recorded is None and found.paid:
        recorded = await load_recorded_sale(await joined.session(), merchant_id, order)
    sale: list[Move] = []
    if recorded is not None and recorded.paid:
        snapshot = recorded.snapshot
    else:
        snapshot = build_snapshot(payment.location_id, payment.items, found.recipes)
        sale = sale_moves(payment, items) + reservation_moves(payment, snapshot)
        if sale:
            memory.sales[(merchant_id, order)] = RecordedSale(len(sale), snapshot)
    if recorded is not None:
        memory.sales[(merchant_id, order)] = recorded
    sold = {i.sale_order_item_id for i in payment.items}
    waiting = (
        await pending_effects(await joined.session(), merchant_id, order)
        if found.pending_effects
        else []
    )
    settled = [
        e
        for e in waiting
        if e.kitchen_ticket_item_id not in memory.settled
        and (e.sale_order_item_id in sold or e.sale_order_item_id in snapshot.items)
    ]
    if settled:
        memory.settled.update(e.kitchen_ticket_item_id for e in settled)
        await mark_applied(
            await joined.session(), merchant_id, order, [e.kitchen_ticket_item_id for e in settled]
        )
    # One step each, each with its own time, so the ledger reads as if the kitchen
    # events had come after the payment.
    steps = [sale] + [
        effect_moves(snapshot.items[e.sale_order_item_id], e)
        for e in settled
        if e.sale_order_item_id in snapshot.items
    ]
    return PaymentPlan(steps, recorded.movements if recorded else 0, len(settled))


async def known_items(
    joined: Joined,
    payments: Sequence[PaymentLike],
    found: Sequence[PaymentSurroundings],
) -> tuple[
    dict[uuid.UUID, dict[uuid.UUID, KnownItem]], dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]
]:
    """The inventory item of every sold variant per merchant, creating unknown ones (CDC
    may lag); and the ids of those created, by (merchant, variant)."""
    items: dict[uuid.UUID, dict[uuid.UUID, KnownItem]] = {}
    unknown: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for payment, around in zip(payments, found, strict=True):
        known = items.setdefault(payment.merchant_id, dict(around.items))
        unknown.update(
            (payment.merchant_id, s.product_variant_id)
            for s in payment.items
            if s.product_variant_id not in known
        )
    created: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
    # Sorted, so two batches creating the same new variants wait instead of deadlocking.
    for merchant_id, variant_id in sorted(unknown):
        session = await joined.session()
        result = await upsert_item(session, ProductVariantUpsert(merchant_id, variant_id))
        if result.created:
            created[(merchant_id, variant_id)] = result.item_id
            items[merchant_id][variant_id] = KnownItem(result.item_id, False)
        else:
            item = t.inventory_item
            tracked = (
                await session.execute(
                    select(item.c.track_inventory).where(item.c.id == result.item_id)
                )
            ).scalar_one()
            items[merchant_id][variant_id] = KnownItem(result.item_id, tracked)
    return items, created


def sale_moves(payment: PaymentLike, items: dict[uuid.UUID, KnownItem]) -> list[Move]:
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


def reservation_moves(payment: PaymentLike, snapshot: SaleSnapshot) -> list[Move]:
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
