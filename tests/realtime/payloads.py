"""`inventory.stock-changed` payloads shaped like the outbox's, for publishing straight to a hub."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class StockOf:
    merchant_id: uuid.UUID
    location_id: uuid.UUID = field(default_factory=uuid.uuid4)
    stock_id: uuid.UUID = field(default_factory=uuid.uuid4)
    item_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def event(
        self,
        version: int,
        on_hand: str = "1",
        *,
        low_stock: bool = False,
        low_stock_before: bool = False,
        reason: str = "counted",
    ) -> str:
        movement_id = str(uuid.uuid4())
        return json.dumps(
            {
                "eventId": movement_id,
                "eventType": "INVENTORY_STOCK_CHANGED",
                "occurredAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "merchantId": str(self.merchant_id),
                "locationId": str(self.location_id),
                "stockId": str(self.stock_id),
                "itemType": "PRODUCT",
                "inventoryItemId": str(self.item_id),
                "productVariantId": str(uuid.uuid4()),
                "onHand": on_hand,
                "reserved": "0",
                "available": on_hand,
                "version": version,
                "lowStock": low_stock,
                "lowStockBefore": low_stock_before,
                "lowStockThreshold": "5",
                "movement": {
                    "id": movement_id,
                    "type": "ADJUSTMENT",
                    "referenceType": "MANUAL",
                    "referenceId": f"ref-{version}",
                    "deltaOnHand": "1",
                    "deltaReserved": "0",
                    "reason": reason,
                    "actor": "user:test",
                    "wentNegative": False,
                },
            }
        )
