"""The `inventory.stock-changed` and `material.stock-changed` payloads of one movement."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.quantities import decimal_str
from app.domain.stock_rules import is_low
from app.kafka import topics
from app.outbox.writer import PendingEvent


class StockLike(Protocol):
    id: uuid.UUID
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    item_type: ItemType
    inventory_item_id: uuid.UUID | None
    material_id: uuid.UUID | None
    version: int
    low_stock_threshold: Decimal | None


class MovementLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def type(self) -> MovementType: ...
    @property
    def reference_type(self) -> ReferenceType: ...
    @property
    def reference_id(self) -> str: ...
    @property
    def delta_on_hand(self) -> Decimal: ...
    @property
    def delta_reserved(self) -> Decimal: ...
    @property
    def on_hand_after(self) -> Decimal: ...
    @property
    def reserved_after(self) -> Decimal: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def went_negative(self) -> bool: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def entered_quantity(self) -> Decimal | None: ...
    @property
    def entered_unit(self) -> str | None: ...


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def stock_changed_payload(
    stock: StockLike,
    movement: MovementLike,
    *,
    product_variant_id: str | None,
    unit: str | None,
    event_type: str,
) -> dict[str, Any]:
    available = movement.on_hand_after - movement.reserved_after
    before = available - (movement.delta_on_hand - movement.delta_reserved)
    payload: dict[str, Any] = {
        "eventId": str(movement.id),
        "eventType": event_type,
        "occurredAt": _iso(movement.occurred_at),
        "merchantId": str(stock.merchant_id),
        "locationId": str(stock.location_id),
        "stockId": str(stock.id),
        "itemType": stock.item_type.value,
        "onHand": decimal_str(movement.on_hand_after),
        "reserved": decimal_str(movement.reserved_after),
        "available": decimal_str(available),
        "version": stock.version,
        "lowStock": is_low(available, stock.low_stock_threshold),
        # Additive fields: the realtime path derives lowStock crossings from these.
        "lowStockBefore": is_low(before, stock.low_stock_threshold),
        "lowStockThreshold": (
            None if stock.low_stock_threshold is None else decimal_str(stock.low_stock_threshold)
        ),
        "movement": {
            "id": str(movement.id),
            "type": movement.type.value,
            "referenceType": movement.reference_type.value,
            "referenceId": movement.reference_id,
            "deltaOnHand": decimal_str(movement.delta_on_hand),
            "deltaReserved": decimal_str(movement.delta_reserved),
            "reason": movement.reason,
            "actor": movement.actor,
            "wentNegative": movement.went_negative,
        },
    }
    if unit is not None:
        payload["unit"] = unit
    if movement.entered_quantity is not None:
        # Additive: what was typed, when it was another unit than the item's base unit.
        payload["movement"]["enteredQuantity"] = decimal_str(movement.entered_quantity)
        payload["movement"]["enteredUnit"] = movement.entered_unit
    if stock.item_type is ItemType.PRODUCT:
        if product_variant_id is not None:
            payload["productVariantId"] = product_variant_id
        payload["inventoryItemId"] = str(stock.inventory_item_id)
    else:
        payload["materialId"] = str(stock.material_id)
    return payload


def stock_change_events(
    stock: StockLike,
    movement: MovementLike,
    *,
    product_variant_id: str | None,
    unit: str | None,
) -> list[PendingEvent]:
    """One inventory.stock-changed per movement, plus material.stock-changed for materials."""
    key = str(stock.id)
    payload = stock_changed_payload(
        stock,
        movement,
        product_variant_id=product_variant_id,
        unit=unit,
        event_type="INVENTORY_STOCK_CHANGED",
    )
    events = [PendingEvent(topics.INVENTORY_STOCK_CHANGED, key, "INVENTORY_STOCK_CHANGED", payload)]
    if stock.item_type is ItemType.MATERIAL:
        # The same payload but for its type: a material's has no product variant anyway.
        material_payload = {**payload, "eventType": "MATERIAL_STOCK_CHANGED"}
        events.append(
            PendingEvent(
                topics.MATERIAL_STOCK_CHANGED, key, "MATERIAL_STOCK_CHANGED", material_payload
            )
        )
    return events
