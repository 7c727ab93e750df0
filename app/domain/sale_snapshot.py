"""What a sale reserves per sale order item, and the snapshot of it the ledger keeps.

A sale order item reserves, per unit sold, its variant's recipe plus, per modifier,
modifier quantity * the modifier option's recipe, summed per material. That per-unit
snapshot is stored on the SALE_RESERVATION movements (each movement carries the part
for its material), so the kitchen consumes or releases exactly what was reserved even
after a recipe changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from app.domain.enums import RecipeOwner
from app.domain.moves import StockKey
from app.domain.quantities import decimal_str
from app.domain.sale import SaleItem

SNAPSHOT_VERSION = 1
# Products of three 6-place quantities need more digits than the default context keeps.
_PRECISION = 80


@dataclass(frozen=True)
class RecipeLine:
    recipe_line_id: uuid.UUID
    material_id: uuid.UUID
    quantity: Decimal


# The recipes a sale may use, by owner: (PRODUCT_VARIANT, variant id) or
# (MODIFIER_OPTION, modifier option id).
RecipeBook = Mapping[tuple[RecipeOwner, uuid.UUID], Sequence[RecipeLine]]


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

    def merge_movement_json(self, location_id: uuid.UUID, stored: Mapping[str, Any]) -> None:
        """Add back the part a reservation movement stored (`movement_json`)."""
        key = StockKey.material(location_id, uuid.UUID(stored["materialId"]))
        for part in stored["items"]:
            item_id = uuid.UUID(part["saleOrderItemId"])
            entry = self.items.get(item_id)
            if entry is None:
                entry = ItemSnapshot(
                    item_id, uuid.UUID(part["productVariantId"]), Decimal(part["quantity"])
                )
                self.items[item_id] = entry
            entry.per_unit[key] = Decimal(part["perUnit"])
            entry.lines.extend(_line_from_json(line) for line in part["lines"])


@dataclass(frozen=True)
class RecordedSale:
    """What the ledger holds of a sale order's payment."""

    movements: int
    snapshot: SaleSnapshot
    # The payment's occurredAt (None for a sale recorded before it was kept).
    sold_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.movements > 0


def build_snapshot(
    location_id: uuid.UUID, items: Sequence[SaleItem], recipes: RecipeBook
) -> SaleSnapshot:
    """Per sale order item: item recipe + sum of modifier quantity * modifier recipe, per unit.

    Items without any recipe line are left out: they reserve nothing.
    """
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


def _owners(item: SaleItem) -> Iterator[tuple[RecipeOwner, uuid.UUID, Decimal]]:
    yield RecipeOwner.PRODUCT_VARIANT, item.product_variant_id, Decimal(1)
    for modifier in item.modifiers:
        yield RecipeOwner.MODIFIER_OPTION, modifier.modifier_option_id, modifier.quantity


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
