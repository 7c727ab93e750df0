"""`inventory.availability-inputs-changed`: a product's availableToSell may have changed
with no stock moving (its item recipe was replaced, its tracking turned on or off, it
was unarchived).

Internal, not part of the contract: written by the service that made the change, in
its transaction, and read back only by this service's realtime consumer, which
re-derives availabilityChanged for the product at every location. Keyed by the
inventory item, so one product's changes are read in the order they were made.

`before` holds what the change replaced, null where it left an input as it is: a
product never published yet is judged by "before" against "now", so a change that
leaves the count as it was sends nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.db.models.base import uuid7
from app.domain.quantities import decimal_str
from app.kafka import topics
from app.outbox.writer import PendingEvent

EVENT_TYPE = "AVAILABILITY_INPUTS_CHANGED"

# (material id, quantity per unit) per line of an item recipe.
RecipeLines = Sequence[tuple[uuid.UUID, Decimal]]


@dataclass(frozen=True, slots=True)
class AvailabilityInputsChanged:
    merchant_id: uuid.UUID
    inventory_item_id: uuid.UUID
    occurred_at: datetime
    # What this change replaced; None: left as it is.
    tracked_before: bool | None = None
    recipe_before: RecipeLines | None = None


class MalformedInputsEvent(ValueError):
    """A message the realtime path cannot use; it is counted and skipped."""


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def availability_inputs_changed_event(change: AvailabilityInputsChanged) -> PendingEvent:
    recipe = change.recipe_before
    payload: dict[str, Any] = {
        "eventId": str(uuid7()),
        "eventType": EVENT_TYPE,
        "occurredAt": _iso(change.occurred_at),
        "merchantId": str(change.merchant_id),
        "inventoryItemId": str(change.inventory_item_id),
        "before": {
            "trackInventory": change.tracked_before,
            "recipe": None
            if recipe is None
            else [{"materialId": str(m), "quantity": decimal_str(q)} for m, q in recipe],
        },
    }
    return PendingEvent(
        topics.AVAILABILITY_INPUTS_CHANGED, str(change.inventory_item_id), EVENT_TYPE, payload
    )


def decode_availability_inputs_changed(text: str | bytes) -> AvailabilityInputsChanged:
    """Parse a message of the topic; raises MalformedInputsEvent."""
    try:
        payload = json.loads(text)
        if not isinstance(payload, dict):
            raise MalformedInputsEvent("not a JSON object")
        return _decoded(payload)
    except MalformedInputsEvent:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, InvalidOperation) as exc:
        raise MalformedInputsEvent(f"{type(exc).__name__}: {exc}") from None


def _decoded(p: Mapping[str, Any]) -> AvailabilityInputsChanged:
    occurred_at = datetime.fromisoformat(p["occurredAt"])
    if occurred_at.tzinfo is None:
        raise MalformedInputsEvent("occurredAt without a time zone")
    before = p["before"]
    tracked = before["trackInventory"]
    if tracked is not None and not isinstance(tracked, bool):
        raise MalformedInputsEvent("before.trackInventory is not a boolean")
    lines = before["recipe"]
    recipe = (
        None
        if lines is None
        else tuple((uuid.UUID(line["materialId"]), Decimal(line["quantity"])) for line in lines)
    )
    return AvailabilityInputsChanged(
        merchant_id=uuid.UUID(p["merchantId"]),
        inventory_item_id=uuid.UUID(p["inventoryItemId"]),
        occurred_at=occurred_at,
        tracked_before=tracked,
        recipe_before=recipe,
    )
