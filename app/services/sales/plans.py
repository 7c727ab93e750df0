"""What one payment moves, planned once its batch's reads are in.

A payment sells tracked products (SALE), reserves recipe materials
(SALE_RESERVATION), and applies the kitchen effects that arrived before it; a sale
order already paid (in the ledger, or earlier in the same batch) moves nothing of
its own. The rules are the domain's (`app.domain.sale`, `sale_snapshot`, `kitchen`);
here they are given what the database holds. `apply_payments` plans every payment of
a batch here, in order, then locks and writes them all at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.kitchen import effect_moves
from app.domain.moves import Move
from app.domain.sale import PaymentSucceeded, SoldProduct, reservation_moves, sale_moves
from app.domain.sale_snapshot import RecordedSale, build_snapshot
from app.services.inventory_items import ProductVariantUpsert, upsert_item
from app.services.sales.reads import PaymentSurroundings
from app.services.sales.recorded import load_recorded_sale, mark_applied, pending_effects
from app.services.unmapped_sales import unmapped_rows


@dataclass
class PaymentPlan:
    # The sale and reservations first, then one step per kitchen effect it settles.
    steps: list[list[Move]]
    # Movements the sale order already had (a re-delivery moves nothing of its own).
    recorded: int
    kitchen_effects: int
    # Its sale lines that deplete nothing (recorded with the batch: unmapped_sales).
    unmapped: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BatchMemory:
    """What the payments planned so far in this batch did, as the ledger would tell
    the next one had each been committed alone."""

    # Sale orders paid in the ledger or earlier in the batch, with what they recorded.
    sales: dict[tuple[uuid.UUID, uuid.UUID], RecordedSale] = field(default_factory=dict)
    # Kitchen ticket items whose pending effect an earlier payment settled.
    settled: set[uuid.UUID] = field(default_factory=set)


async def plan_payment(
    session: AsyncSession,
    payment: PaymentSucceeded,
    found: PaymentSurroundings,
    products: dict[uuid.UUID, SoldProduct],
    memory: BatchMemory,
) -> PaymentPlan:
    """The moves of one payment, given what its batch read and planned before it."""
    merchant_id, order = payment.merchant_id, payment.sale_order_id
    recorded = memory.sales.get((merchant_id, order))
    if recorded is None and found.paid:
        recorded = await load_recorded_sale(session, merchant_id, order)
    sale: list[Move] = []
    unmapped: list[dict[str, Any]] = []
    if recorded is not None and recorded.paid:
        snapshot = recorded.snapshot
    else:
        snapshot = build_snapshot(payment.location_id, payment.items, found.recipes)
        sale = sale_moves(payment, products) + reservation_moves(payment, snapshot)
        unmapped = unmapped_rows(payment, products, snapshot)
        if sale:
            memory.sales[(merchant_id, order)] = RecordedSale(
                len(sale), snapshot, payment.occurred_at
            )
    if recorded is not None:
        memory.sales[(merchant_id, order)] = recorded
    sold = {i.sale_order_item_id for i in payment.items}
    waiting = await pending_effects(session, merchant_id, order) if found.pending_effects else []
    settled = [
        e
        for e in waiting
        if e.kitchen_ticket_item_id not in memory.settled
        and (e.sale_order_item_id in sold or e.sale_order_item_id in snapshot.items)
    ]
    if settled:
        memory.settled.update(e.kitchen_ticket_item_id for e in settled)
        await mark_applied(session, merchant_id, order, [e.kitchen_ticket_item_id for e in settled])
    # One step each, each with its own time, so the ledger reads as if the kitchen
    # events had come after the payment.
    # A release settled here takes back part of this sale: dated by the sale's payment.
    sold_at = (recorded.sold_at if recorded is not None else None) or payment.occurred_at
    steps = [sale] + [
        effect_moves(snapshot.items[e.sale_order_item_id], e, sold_at)
        for e in settled
        if e.sale_order_item_id in snapshot.items
    ]
    return PaymentPlan(steps, recorded.movements if recorded else 0, len(settled), unmapped)


async def known_items(
    session: AsyncSession,
    payments: Sequence[PaymentSucceeded],
    found: Sequence[PaymentSurroundings],
) -> tuple[
    dict[uuid.UUID, dict[uuid.UUID, SoldProduct]], dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID]
]:
    """The inventory item of every sold variant per merchant, creating unknown ones (CDC
    may lag) as provisional items; and the ids of those created, by (merchant, variant)."""
    items: dict[uuid.UUID, dict[uuid.UUID, SoldProduct]] = {}
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
        upsert = ProductVariantUpsert(merchant_id, variant_id)
        result = await upsert_item(session, upsert, provisional=True)
        if result.created:
            created[(merchant_id, variant_id)] = result.item_id
            items[merchant_id][variant_id] = SoldProduct(result.item_id, False, provisional=True)
        else:
            item = t.inventory_item
            flags = (
                await session.execute(
                    select(item.c.track_inventory, item.c.provisional).where(
                        item.c.id == result.item_id
                    )
                )
            ).one()
            items[merchant_id][variant_id] = SoldProduct(result.item_id, *flags)
    return items, created
