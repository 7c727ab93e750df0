"""`inventory.stock-threshold-changed`: a threshold change made a stock low, or no longer
low, with no stock moving.

Internal, not part of the contract (the stock events are one per movement, and this
change has none): written by the service in its transaction, read back only by this
service's realtime consumer, which tells lowStock subscribers. Keyed by the stock. The
payload holds the stock as of the change, with the field names of inventory.stock-changed
so a reader of one reads the other; it has no movement, and `version` is unchanged
(quantities did not change).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from app.db.models.base import uuid7
from app.domain.enums import ItemType
from app.domain.quantities import decimal_str
from app.domain.stock_rules import is_low
from app.kafka import topics
from app.outbox.stock_events import StockLike
from app.outbox.writer import PendingEvent

EVENT_TYPE = "STOCK_THRESHOLD_CHANGED"


class StockWithQuantities(StockLike, Protocol):
    on_hand: Decimal
    reserved: Decimal
    unit: str | None
    product_variant_id: uuid.UUID | None


def stock_threshold_changed_event(
    stock: StockWithQuantities, threshold: Decimal | None, occurred_at: datetime
) -> PendingEvent:
    """The event of `stock` (as locked, with its old threshold) getting `threshold`."""
    available = stock.on_hand - stock.reserved
    payload: dict[str, Any] = {
        "eventId": str(uuid7()),
        "eventType": EVENT_TYPE,
        "occurredAt": occurred_at.isoformat().replace("+00:00", "Z"),
        "merchantId": str(stock.merchant_id),
        "locationId": str(stock.location_id),
        "stockId": str(stock.id),
        "itemType": stock.item_type.value,
        "onHand": decimal_str(stock.on_hand),
        "reserved": decimal_str(stock.reserved),
        "available": decimal_str(available),
        "version": stock.version,
        "lowStock": is_low(available, threshold),
        "lowStockBefore": is_low(available, stock.low_stock_threshold),
        "lowStockThreshold": None if threshold is None else decimal_str(threshold),
    }
    if stock.unit is not None:
        payload["unit"] = stock.unit
    payload.update(_item_ids(stock))
    return PendingEvent(topics.STOCK_THRESHOLD_CHANGED, str(stock.id), EVENT_TYPE, payload)


def _item_ids(stock: StockWithQuantities) -> dict[str, str]:
    if stock.item_type is ItemType.MATERIAL:
        return {"materialId": str(stock.material_id)}
    ids = {"inventoryItemId": str(stock.inventory_item_id)}
    if stock.product_variant_id is not None:
        ids["productVariantId"] = str(stock.product_variant_id)
    return ids
