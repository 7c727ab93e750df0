"""`inventory.stock-changed` as the realtime path reads it: one typed, as-of-the-event value.

The payload is the outbox's (`app/outbox/stock_events.py`); decoding is strict about
what subscriptions need (ids, quantities, version) and lenient about the additive
fields, so an older producer's event still reaches clients.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.enums import ItemType, MovementType, ReferenceType
from app.domain.stock_rules import is_low


class MalformedEvent(ValueError):
    """A message the realtime path cannot use; it is counted and skipped."""


@dataclass(frozen=True, slots=True)
class MovementEvent:
    id: uuid.UUID
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: Decimal
    delta_reserved: Decimal
    reason: str | None
    actor: str | None
    went_negative: bool
    entered_quantity: Decimal | None = None
    entered_unit: str | None = None


@dataclass(frozen=True, slots=True)
class StockEvent:
    """A stock's quantities right after one movement (the version of that change)."""

    event_id: str
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    stock_id: uuid.UUID
    item_type: ItemType
    item_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    version: int
    low_stock: bool
    low_stock_before: bool
    low_stock_threshold: Decimal | None
    unit: str | None
    occurred_at: datetime
    movement: MovementEvent
    # What the subscribers of this process make of the event (their GraphQL objects),
    # made once and shared by all of them; see graphql_schema/subscriptions/types.py.
    views: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def coalesce_key(self) -> uuid.UUID:
        """Newer versions of one stock replace older ones in a slow subscriber's queue."""
        return self.stock_id

    @property
    def crossed_low_stock(self) -> bool:
        return self.low_stock != self.low_stock_before


def decode_stock_event(text: str | bytes) -> StockEvent:
    """Parse an `inventory.stock-changed` message; raises MalformedEvent."""
    try:
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise MalformedEvent("not a JSON object")
        return _stock_event(payload)
    except MalformedEvent:
        raise
    except (ValueError, TypeError, KeyError, InvalidOperation, RecursionError) as exc:
        # RecursionError: json.loads of deeply nested input; it must not stop the consumer.
        raise MalformedEvent(f"{type(exc).__name__}: {exc}") from None


def _stock_event(p: Mapping[str, Any]) -> StockEvent:
    item_type = ItemType(p["itemType"])
    item_key = "inventoryItemId" if item_type is ItemType.PRODUCT else "materialId"
    if not p.get(item_key):
        raise MalformedEvent(f"{item_key} is missing")
    available = _decimal(p["available"])
    threshold = None if p.get("lowStockThreshold") is None else _decimal(p["lowStockThreshold"])
    low_stock = _bool(p.get("lowStock"), is_low(available, threshold))
    version = p["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MalformedEvent("version must be a positive integer")
    return StockEvent(
        event_id=str(p["eventId"]),
        merchant_id=uuid.UUID(p["merchantId"]),
        location_id=uuid.UUID(p["locationId"]),
        stock_id=uuid.UUID(p["stockId"]),
        item_type=item_type,
        item_id=uuid.UUID(p[item_key]),
        on_hand=_decimal(p["onHand"]),
        reserved=_decimal(p["reserved"]),
        available=available,
        version=version,
        low_stock=low_stock,
        # Without the additive field no crossing can be told: treat it as no crossing.
        low_stock_before=_bool(p.get("lowStockBefore"), low_stock),
        low_stock_threshold=threshold,
        unit=p.get("unit"),
        occurred_at=_moment(p["occurredAt"]),
        movement=_movement(p["movement"]),
    )


def _movement(m: Mapping[str, Any]) -> MovementEvent:
    return MovementEvent(
        id=uuid.UUID(m["id"]),
        type=MovementType(m["type"]),
        reference_type=ReferenceType(m["referenceType"]),
        reference_id=str(m["referenceId"]),
        delta_on_hand=_decimal(m["deltaOnHand"]),
        delta_reserved=_decimal(m["deltaReserved"]),
        reason=m.get("reason"),
        actor=m.get("actor"),
        went_negative=bool(m.get("wentNegative", False)),
        entered_quantity=None
        if m.get("enteredQuantity") is None
        else _decimal(m["enteredQuantity"]),
        entered_unit=m.get("enteredUnit"),
    )


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise MalformedEvent("quantities are decimal strings")
    number = Decimal(value)
    if not number.is_finite():
        raise MalformedEvent("quantities are finite")
    return number


def _bool(value: Any, default: bool) -> bool:
    return value if isinstance(value, bool) else default


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise MalformedEvent("occurredAt needs an offset")
    return moment
