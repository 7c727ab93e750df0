"""What a stock change is before it is written: the stock it names and its deltas.

Every flow (sales, kitchen, adjustments, receipts, transfers) decides its `Move`s
here, in plain values; `app.services.stock_ledger` locks the stocks and writes them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.enums import ItemType, MovementType, ReferenceType

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
class Move:
    """One ledger row to append: its reference, type and deltas (the ledger's unique key
    is (reference type, reference id, stock, type, occurrence), so the same move twice
    is one)."""

    key: StockKey
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: Decimal = ZERO
    delta_reserved: Decimal = ZERO
    reason: str | None = None
    recipe_snapshot: Any = None
    # What was typed, when it was in another unit than the stock's base unit.
    entered_quantity: Decimal | None = None
    entered_unit: str | None = None
    # A sale's movements: its payment's occurredAt, by which reports count them.
    sold_at: datetime | None = None
    # 1; a later return of a product on one sale order, under the sale order's id, is
    # the 2nd, 3rd, … RETURN of that reference and stock.
    occurrence: int = 1
