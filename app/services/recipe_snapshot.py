"""What a sale reserves, per sale order item, and the snapshot of it kept on the ledger.

A payment reads the recipes of its items (PRODUCT_VARIANT, keyed by product variant
id) and of their modifiers (MODIFIER_OPTION, keyed by modifier option id) and turns
them into per-unit material quantities per sale order item. That snapshot is stored
on the SALE_RESERVATION movements (each movement carries the part for its material),
so the kitchen consumes or releases exactly what was reserved even after a recipe
changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.domain.enums import MovementType, RecipeOwner, ReferenceType
from app.domain.quantities import decimal_str
from app.services.stock_ledger import StockKey

SNAPSHOT_VERSION = 1
# Products of three 6-place quantities need more digits than the default context keeps.
_PRECISION = 80


class ModifierLike(Protocol):
    @property
    def modifier_option_id(self) -> uuid.UUID: ...
    @property
    def quantity(self) -> Decimal: ...


class SaleItemLike(Protocol):
    @property
    def sale_order_item_id(self) -> uuid.UUID: ...
    @property
    def product_variant_id(self) -> uuid.UUID: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def modifiers(self) -> Sequence[ModifierLike]: ...


@dataclass(frozen=True)
class RecipeLineRow:
    recipe_line_id: uuid.UUID
    material_id: uuid.UUID
    quantity: Decimal


RecipeBook = Mapping[tuple[RecipeOwner, uuid.UUID], Sequence[RecipeLineRow]]


@dataclass(frozen=True)
class SnapshotLine:
    """One recipe line as used: `quantity` per unit of its owner, `times` owners per item."""

    owner_type: RecipeOwner
    owner_id: uuid.UUID
    recipe_line_id: uuid.UUID
    material_id: uuid.UUID
    quantity: Decimal
    times: Decimal


@dataclass
class ItemSnapshot:
    sale_order_item_id: uuid.UUID
    product_variant_id: uuid.UUID
    quantity: Decimal
    per_unit: dict[StockKey, Decimal] = field(default_factory=dict)
    lines: list[SnapshotLine] = field(default_factory=list)

    def materials_for(self, quantity: Decimal) -> dict[StockKey, Decimal]:
        """Materials of `quantity` units of this item, never more units than were sold."""
        units = min(quantity, self.quantity)
        with localcontext() as context:
            context.prec = _PRECISION
            return {key: units * per_unit for key, per_unit in self.per_unit.items()}


@dataclass
class SaleSnapshot:
    items: dict[uuid.UUID, ItemSnapshot] = field(default_factory=dict)

    def reservations(self) -> dict[StockKey, Decimal]:
        """Per material stock: the sum over items of item quantity * per-unit quantity."""
        totals: dict[StockKey, Decimal] = {}
        with localcontext() as context:
            context.prec = _PRECISION
            for item in self.items.values():
                for key, per_unit in item.per_unit.items():
                    totals[key] = totals.get(key, Decimal(0)) + item.quantity * per_unit
        return totals

    def movement_json(self, key: StockKey) -> dict[str, Any]:
        """The part of the snapshot stored on the reservation movement of `key`."""
        with localcontext() as context:
            context.prec = _PRECISION
            return {
                "version": SNAPSHOT_VERSION,
                "materialId": str(key.item_id),
                "items": [
                    {
                        "saleOrderItemId": str(item.sale_order_item_id),
                        "productVariantId": str(item.product_variant_id),
                        "quantity": decimal_str(item.quantity),
                        "perUnit": decimal_str(item.per_unit[key]),
                        "lines": [
                            _line_json(line)
                            for line in item.lines
                            if line.material_id == key.item_id
                        ],
                    }
                    for item in self.items.values()
                    if key in item.per_unit
                ],
            }


@dataclass(frozen=True)
class RecordedSale:
    """What the ledger holds of a sale order's payment."""

    movements: int
    snapshot: SaleSnapshot

    @property
    def paid(self) -> bool:
        return self.movements > 0


def build_snapshot(
    location_id: uuid.UUID, items: Sequence[SaleItemLike], recipes: RecipeBook
) -> SaleSnapshot:
    """Per sale order item: item recipe + sum of modifier quantity * modifier recipe, per unit."""
    snapshot = SaleSnapshot()
    with localcontext() as context:
        context.prec = _PRECISION
        for item in items:
            entry = ItemSnapshot(item.sale_order_item_id, item.product_variant_id, item.quantity)
            for owner_type, owner_id, times in _owners(item):
                for row in recipes.get((owner_type, owner_id), ()):
                    key = StockKey.material(location_id, row.material_id)
                    entry.per_unit[key] = entry.per_unit.get(key, Decimal(0)) + row.quantity * times
                    entry.lines.append(
                        SnapshotLine(
                            owner_type,
                            owner_id,
                            row.recipe_line_id,
                            row.material_id,
                            row.quantity,
                            times,
                        )
                    )
            if entry.per_unit:
                snapshot.items[item.sale_order_item_id] = entry
    return snapshot


def _owners(item: SaleItemLike) -> Iterator[tuple[RecipeOwner, uuid.UUID, Decimal]]:
    yield RecipeOwner.PRODUCT_VARIANT, item.product_variant_id, Decimal(1)
    for modifier in item.modifiers:
        yield RecipeOwner.MODIFIER_OPTION, modifier.modifier_option_id, modifier.quantity


async def load_recorded_sale(
    session: AsyncSession, merchant_id: uuid.UUID, sale_order_id: uuid.UUID
) -> RecordedSale:
    """The sale order's SALE and SALE_RESERVATION movements, with the snapshot they stored."""
    ledger = t.stock_movement
    rows = (
        await session.execute(
            select(ledger.c.type, ledger.c.location_id, ledger.c.recipe_snapshot).where(
                ledger.c.merchant_id == merchant_id,
                ledger.c.reference_type == ReferenceType.SALE_ORDER,
                ledger.c.reference_id == str(sale_order_id),
                ledger.c.type.in_([MovementType.SALE, MovementType.SALE_RESERVATION]),
            )
        )
    ).all()
    snapshot = SaleSnapshot()
    for row in rows:
        if MovementType(row.type) is MovementType.SALE_RESERVATION and row.recipe_snapshot:
            _merge_movement_json(snapshot, row.location_id, row.recipe_snapshot)
    return RecordedSale(len(rows), snapshot)


def _merge_movement_json(
    snapshot: SaleSnapshot, location_id: uuid.UUID, stored: Mapping[str, Any]
) -> None:
    key = StockKey.material(location_id, uuid.UUID(stored["materialId"]))
    for part in stored["items"]:
        item_id = uuid.UUID(part["saleOrderItemId"])
        entry = snapshot.items.get(item_id)
        if entry is None:
            entry = ItemSnapshot(
                item_id, uuid.UUID(part["productVariantId"]), Decimal(part["quantity"])
            )
            snapshot.items[item_id] = entry
        entry.per_unit[key] = Decimal(part["perUnit"])
        entry.lines.extend(_line_from_json(line) for line in part["lines"])


def _line_json(line: SnapshotLine) -> dict[str, str]:
    return {
        "ownerType": line.owner_type.value,
        "ownerId": str(line.owner_id),
        "recipeLineId": str(line.recipe_line_id),
        "materialId": str(line.material_id),
        "quantity": decimal_str(line.quantity),
        "times": decimal_str(line.times),
    }


def _line_from_json(stored: Mapping[str, str]) -> SnapshotLine:
    return SnapshotLine(
        RecipeOwner(stored["ownerType"]),
        uuid.UUID(stored["ownerId"]),
        uuid.UUID(stored["recipeLineId"]),
        uuid.UUID(stored["materialId"]),
        Decimal(stored["quantity"]),
        Decimal(stored["times"]),
    )
