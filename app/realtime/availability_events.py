"""`availabilityChanged` messages: a product's new availableToSell at a location.

Derived from stock events by `availability.py` and carried on their own stream
(one channel per merchant, like stock events), so the hub, the subscribers'
coalescing queues and the merchant isolation are the same. A message carries the
inventory item's fields as of the derivation, so a subscriber resolves
`inventoryItem` without a query per message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.quantities import decimal_str
from app.realtime.streams import Stream

ONE_UNIT = Decimal(1)


def sold_out(available_to_sell: Decimal | None) -> bool:
    """Limited, and not even one unit can be sold (null means not limited)."""
    return available_to_sell is not None and available_to_sell < ONE_UNIT


@dataclass(frozen=True, slots=True)
class ItemSnapshot:
    """The inventory item's own fields (GraphQL's InventoryItem without its relations)."""

    id: uuid.UUID
    product_variant_id: uuid.UUID
    sku: str | None
    name: str
    track_inventory: bool
    unit: str
    archived: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AvailabilityEvent:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    item: ItemSnapshot
    available_to_sell: Decimal | None
    # Grows by one per published change of this (location, item): the hub drops replays.
    version: int
    # When the stock change behind it happened.
    occurred_at: datetime
    # The subscribers' GraphQL objects of this event, made once per process and shared
    # (see graphql_schema/subscriptions/shared.py).
    views: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def coalesce_key(self) -> Hashable:
        """A slow subscriber keeps only the newest value per product and location."""
        return (self.location_id, self.item.id)

    @property
    def sold_out(self) -> bool:
        return sold_out(self.available_to_sell)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def encode_availability(event: AvailabilityEvent) -> str:
    item = event.item
    value = event.available_to_sell
    return json.dumps(
        {
            "merchantId": str(event.merchant_id),
            "locationId": str(event.location_id),
            "inventoryItemId": str(item.id),
            "availableToSell": None if value is None else decimal_str(value),
            "version": event.version,
            "occurredAt": _iso(event.occurred_at),
            "item": {
                "productVariantId": str(item.product_variant_id),
                "sku": item.sku,
                "name": item.name,
                "trackInventory": item.track_inventory,
                "unit": item.unit,
                "archived": item.archived,
                "createdAt": _iso(item.created_at),
                "updatedAt": _iso(item.updated_at),
            },
        },
        separators=(",", ":"),
    )


def decode_availability(text: str) -> AvailabilityEvent:
    """Parse a message of the availability stream; raises ValueError."""
    try:
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
        return _event(payload)
    except (TypeError, KeyError, InvalidOperation) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


def _event(p: Mapping[str, Any]) -> AvailabilityEvent:
    item = p["item"]
    value = p["availableToSell"]
    version = p["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError("version must be a positive integer")
    return AvailabilityEvent(
        merchant_id=uuid.UUID(p["merchantId"]),
        location_id=uuid.UUID(p["locationId"]),
        item=ItemSnapshot(
            id=uuid.UUID(p["inventoryItemId"]),
            product_variant_id=uuid.UUID(item["productVariantId"]),
            sku=item["sku"],
            name=str(item["name"]),
            track_inventory=bool(item["trackInventory"]),
            unit=str(item["unit"]),
            archived=bool(item["archived"]),
            created_at=datetime.fromisoformat(item["createdAt"]),
            updated_at=datetime.fromisoformat(item["updatedAt"]),
        ),
        available_to_sell=None if value is None else Decimal(str(value)),
        version=version,
        occurred_at=datetime.fromisoformat(p["occurredAt"]),
    )


AVAILABILITY: Stream[AvailabilityEvent] = Stream("availability", decode_availability)
