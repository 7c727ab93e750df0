"""The lowStock stream: a stock as of the moment it became low, or no longer low.

Two kinds of messages cross a stock's threshold: an `inventory.stock-changed` event
whose movement did (lowStock differs from lowStockBefore), and the internal
`inventory.stock-threshold-changed` of a threshold change (the same stock fields, no
movement). The realtime consumer publishes both, as received, on this stream, so a
lowStock subscriber reads one stream in one order.

The hub drops a message at or below the last `version` it passed on for the stock. A
threshold change leaves the stock's version as it is, so the stream orders by
`(stock version, threshold change time)` folded into one integer: a movement's crossing
counts as time zero of its version, threshold crossings at one version follow in the
order they were made (their times come from transactions serialized by the stock's row
lock), and any later movement's version is above them all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.enums import ItemType
from app.outbox.threshold_events import EVENT_TYPE as THRESHOLD_EVENT_TYPE
from app.realtime.events import MalformedEvent, decode_stock_event

# Microseconds since 1970 stay below this for millennia: the version's unit in the order.
_VERSION_STEP = 10**17
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class LowStockEvent:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    stock_id: uuid.UUID
    item_type: ItemType
    item_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    stock_version: int
    low_stock: bool
    low_stock_threshold: Decimal | None
    occurred_at: datetime
    # Microseconds of a threshold change; 0 for a movement's crossing.
    threshold_changed_at: int
    views: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def coalesce_key(self) -> Hashable:
        return self.stock_id

    @property
    def version(self) -> int:
        """The stream's order (see the module docstring), not the stock's version."""
        return self.stock_version * _VERSION_STEP + self.threshold_changed_at


def decode_low_stock(text: str | bytes) -> LowStockEvent:
    """Parse a crossing message of either kind; raises MalformedEvent (a ValueError)."""
    try:
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise MalformedEvent("not a JSON object")
        if payload.get("eventType") == THRESHOLD_EVENT_TYPE:
            return _threshold_crossing(payload)
    except MalformedEvent:
        raise
    except (ValueError, TypeError, KeyError, InvalidOperation, RecursionError) as exc:
        raise MalformedEvent(f"{type(exc).__name__}: {exc}") from None
    event = decode_stock_event(text)
    return LowStockEvent(
        merchant_id=event.merchant_id,
        location_id=event.location_id,
        stock_id=event.stock_id,
        item_type=event.item_type,
        item_id=event.item_id,
        on_hand=event.on_hand,
        reserved=event.reserved,
        available=event.available,
        stock_version=event.version,
        low_stock=event.low_stock,
        low_stock_threshold=event.low_stock_threshold,
        occurred_at=event.occurred_at,
        threshold_changed_at=0,
    )


def _threshold_crossing(p: Mapping[str, Any]) -> LowStockEvent:
    item_type = ItemType(p["itemType"])
    item_key = "inventoryItemId" if item_type is ItemType.PRODUCT else "materialId"
    version = p["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEvent("version must be a positive integer")
    occurred_at = datetime.fromisoformat(p["occurredAt"])
    if occurred_at.tzinfo is None:
        raise MalformedEvent("occurredAt needs an offset")
    threshold = p["lowStockThreshold"]
    low_stock = p["lowStock"]
    if not isinstance(low_stock, bool):
        raise MalformedEvent("lowStock must be a boolean")
    return LowStockEvent(
        merchant_id=uuid.UUID(p["merchantId"]),
        location_id=uuid.UUID(p["locationId"]),
        stock_id=uuid.UUID(p["stockId"]),
        item_type=item_type,
        item_id=uuid.UUID(p[item_key]),
        on_hand=Decimal(p["onHand"]),
        reserved=Decimal(p["reserved"]),
        available=Decimal(p["available"]),
        stock_version=version,
        low_stock=low_stock,
        low_stock_threshold=None if threshold is None else Decimal(threshold),
        occurred_at=occurred_at,
        threshold_changed_at=max(1, (occurred_at - _EPOCH) // _MICROSECOND),
    )
