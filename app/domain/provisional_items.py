"""Provisional items: a product sold before the catalogue described it.

A payment may name a product variant the catalogue (commerce's /v1 call or its CDC) has
not brought yet. The sale is never refused: the item is created provisional and its
sales are recorded instead of deducted, because whether selling it deducts stock is the
catalogue's to say. When the catalogue first arrives saying so, the recorded sales are
deducted then, once each, as the payments would have; when it says untracked, nothing
moves. A /v1 create that takes over a provisional item applies its initial stocks first,
as the stock the item had before those sales, so every arrival order ends alike.

Meanwhile each such sale is also an unmapped sale (it depleted nothing so far). Once the
catalogue says tracked, it did deplete the item's stock: it is withdrawn from the
unmapped sales, which then list only what truly depleted nothing (an untracked item's
sales stay, and so do a modifier option's without a recipe, whatever its item does).

A CDC delete is the catalogue's last word, so it settles a provisional item too: by the
tracking its before-image states, and as untracked when the before-image leaves it out
(the catalogue never asked for stock to move). A provisional item deleted before any
create ends as a create stating that tracking, then the delete, would.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class ProvisionalSaleLine:
    """What one sale order sold of a provisional item at one location."""

    sale_order_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    # The payment's occurredAt: the deduction counts then in a usage report, as the
    # payment's own SALE movements would have (null for sales held before it was kept).
    sold_at: datetime | None = None


def catalogue_takes_over(provisional: bool, stated_tracking: bool | None) -> bool:
    """The catalogue decides a provisional item's fate the first time it states tracking;
    a message that leaves tracking unsaid (a /v1 PUT of the name only) decides nothing."""
    return provisional and stated_tracking is not None


def tracking_at_delete(stated_tracking: bool | None) -> bool:
    """What a delete settles a provisional item as: the tracking it states, else untracked."""
    return stated_tracking is True


def sales_to_deduct(
    tracked: bool, recorded: Iterable[ProvisionalSaleLine]
) -> list[ProvisionalSaleLine]:
    """The recorded sales that become SALE movements when the catalogue takes over: all of
    them for a tracked item, none for an untracked one. One per (sale order, location),
    in that order, so concurrent takeovers lock and write alike."""
    if not tracked:
        return []
    totals: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    sold_at: dict[tuple[uuid.UUID, uuid.UUID], datetime | None] = {}
    for line in recorded:
        key = (line.sale_order_id, line.location_id)
        totals[key] = totals.get(key, Decimal(0)) + line.quantity
        sold_at[key] = _later(sold_at.get(key), line.sold_at)
    return [
        ProvisionalSaleLine(order, location, quantity, sold_at[order, location])
        for (order, location), quantity in sorted(totals.items())
    ]


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def sale_lines(
    sale_order_id: uuid.UUID,
    location_id: uuid.UUID,
    quantities: Iterable[Decimal],
    sold_at: datetime | None = None,
) -> ProvisionalSaleLine:
    """One payment's lines of a provisional item (it may list the variant more than once)."""
    return ProvisionalSaleLine(sale_order_id, location_id, sum(quantities, Decimal(0)), sold_at)
