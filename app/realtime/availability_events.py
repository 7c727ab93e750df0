"""`availabilityChanged` messages: a product's new availableToSell at a location.

Derived from stock events and from recipe or tracking changes (the internal
availability-inputs events) by `availability.py`, and carried on their own stream
(one channel per merchant, like stock events), so the hub, the subscribers'
coalescing queues and the merchant isolation are the same. A message carries the
inventory item's fields as of the derivation, so a subscriber resolves
`inventoryItem` without a query per message.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.availability import sold_out
from app.domain.quantities import decimal_str
from app.realtime.streams import Stream


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
    # When the change behind it (a stock movement, a recipe or tracking change) happened.
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


class Messages:
    """The messages of one derivation at one location (one change), written directly:
    a derivation encodes a message per product, and json.dumps of the nested dict cost
    ~4x as much. The fields they share are written once. Strings that may need escaping
    go through json's own escaping; ids, numbers and timestamps never need it."""

    def __init__(self, merchant_id: uuid.UUID, location_id: uuid.UUID, occurred_at: datetime):
        self._head = (
            f'{{"merchantId":"{merchant_id}","locationId":"{location_id}",'
            f'"occurredAt":"{occurred_at.isoformat()}",'
        )

    def encode(self, event: AvailabilityEvent) -> str:
        """`event` (of this derivation's merchant, location and moment) as a message."""
        item = event.item
        value = event.available_to_sell
        return (
            f'{self._head}"inventoryItemId":"{item.id}",'
            f'"availableToSell":{"null" if value is None else _quoted(decimal_str(value))},'
            f'"version":{int(event.version)},'
            f'"item":{{"productVariantId":"{item.product_variant_id}",'
            f'"sku":{"null" if item.sku is None else _quoted(item.sku)},'
            f'"name":{_quoted(item.name)},'
            f'"trackInventory":{_BOOL[item.track_inventory]},"unit":{_quoted(item.unit)},'
            f'"archived":{_BOOL[item.archived]},"createdAt":"{item.created_at.isoformat()}",'
            f'"updatedAt":"{item.updated_at.isoformat()}"}}}}'
        )

    def encode_own(self, event: AvailabilityEvent) -> str:
        """`encode` for a message this process publishes: its hub receives it back (every
        instance receives every message) and decodes it without parsing (see
        `decode_availability`)."""
        text = self.encode(event)
        value = event.available_to_sell
        if value is not None and str(value) != decimal_str(value):
            # What a receiver reads: the message's notation, not this Decimal's.
            event = replace(event, available_to_sell=Decimal(decimal_str(value)), views={})
        _own[text] = event
        if len(_own) > OWN_MESSAGES:
            del _own[next(iter(_own))]
        return text


def encode_availability(event: AvailabilityEvent) -> str:
    return Messages(event.merchant_id, event.location_id, event.occurred_at).encode(event)


_quoted = json.encoder.encode_basestring_ascii  # json.dumps(str) without its checks
_BOOL = {True: "true", False: "false"}


# Messages this process encoded and has not received back yet, newest last: a hub with no
# subscriber of the merchant never receives its own, so the oldest are forgotten.
OWN_MESSAGES = 4096
_own: dict[str, AvailabilityEvent] = {}


def decode_availability(text: str) -> AvailabilityEvent:
    """Parse a message of the availability stream; raises ValueError.

    A message this process encoded (`encode_own`) is its event, as parsing would give it
    (equal fields; a new `views`): the text is all a message is, so the same text is the
    same event. Each is answered so once; another delivery of the text is parsed."""
    own = _own.pop(text, None)
    if own is not None:
        return own
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
