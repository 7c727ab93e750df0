"""The records the ledger works with: locked stocks, movements as written, results.

`StockKey` and `Move` are the domain's (`app.domain.moves`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.moves import Move, StockKey


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
    # Not the ledger's business; read with the lock so a write can answer with its stock.
    par_level: Decimal | None = None
    reorder_point: Decimal | None = None

    @property
    def key(self) -> StockKey:
        item_id = self.inventory_item_id if self.item_type is ItemType.PRODUCT else self.material_id
        assert item_id is not None
        return StockKey(self.location_id, self.item_type, item_id)

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


# (reference type, reference id, stock id, movement type, occurrence): the ledger's
# unique key.
LedgerKey = tuple[ReferenceType, str, uuid.UUID, MovementType, int]


@dataclass(frozen=True, slots=True)
class Movement:
    """A ledger row as written: a plain record, as the ORM model costs more to build."""

    id: uuid.UUID
    merchant_id: uuid.UUID
    stock_id: uuid.UUID
    location_id: uuid.UUID
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: Decimal
    delta_reserved: Decimal
    on_hand_after: Decimal
    reserved_after: Decimal
    reason: str | None
    actor: str | None
    went_negative: bool
    recipe_snapshot: Any
    occurred_at: datetime
    entered_quantity: Decimal | None = None
    entered_unit: str | None = None
    sold_at: datetime | None = None
    occurrence: int = 1


@dataclass
class AppliedMove:
    movement: Movement
    stock: LockedStock  # the stock as of this movement (a copy: later moves don't change it)
    # What its events carry when not the batch's (a payment's of a batch of payments).
    request_id: str | None = None

    @property
    def key(self) -> LedgerKey:
        m = self.movement
        return (m.reference_type, m.reference_id, m.stock_id, m.type, m.occurrence)


@dataclass(frozen=True, slots=True)
class WrittenStock:
    """A stock row as a movement's write left it, with the columns a read of the row
    gives (`available` is the table's generated on_hand - reserved; `updated_at` the
    movement's time, which the write sets): a write answers with it, reading nothing
    back."""

    id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    item_type: ItemType
    inventory_item_id: uuid.UUID | None
    material_id: uuid.UUID | None
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    low_stock_threshold: Decimal | None
    par_level: Decimal | None
    reorder_point: Decimal | None
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, applied: AppliedMove) -> WrittenStock:
        stock = applied.stock
        return cls(
            id=stock.id,
            merchant_id=stock.merchant_id,
            location_id=stock.location_id,
            item_type=stock.item_type,
            inventory_item_id=stock.inventory_item_id,
            material_id=stock.material_id,
            on_hand=stock.on_hand,
            reserved=stock.reserved,
            available=stock.available,
            low_stock_threshold=stock.low_stock_threshold,
            par_level=stock.par_level,
            reorder_point=stock.reorder_point,
            version=stock.version,
            updated_at=applied.movement.occurred_at,
        )


@dataclass
class MoveResult:
    applied: list[AppliedMove] = field(default_factory=list)
    duplicates: list[Move] = field(default_factory=list)
