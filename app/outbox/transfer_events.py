"""The `material.transferred` payload of one transfer between two locations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.db.models.base import uuid7
from app.domain.quantities import decimal_str
from app.kafka import topics
from app.outbox.writer import PendingEvent

EVENT_TYPE = "MATERIAL_TRANSFERRED"


@dataclass(frozen=True)
class TransferredLine:
    material_id: uuid.UUID
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class Transferred:
    merchant_id: uuid.UUID
    transfer_id: uuid.UUID
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID
    occurred_at: datetime
    transferred_by: str | None
    lines: Sequence[TransferredLine]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def material_transferred_payload(transfer: Transferred) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "eventId": str(uuid7()),
        "eventType": EVENT_TYPE,
        "occurredAt": _iso(transfer.occurred_at),
        "merchantId": str(transfer.merchant_id),
        "transferId": str(transfer.transfer_id),
        "fromLocationId": str(transfer.from_location_id),
        "toLocationId": str(transfer.to_location_id),
        "lines": [
            {
                "materialId": str(line.material_id),
                "quantity": decimal_str(line.quantity),
                "unit": line.unit,
            }
            for line in transfer.lines
        ],
    }
    if transfer.transferred_by is not None:
        payload["transferredBy"] = transfer.transferred_by
    return payload


def material_transferred_event(transfer: Transferred) -> PendingEvent:
    """Keyed by the transfer id."""
    return PendingEvent(
        topics.MATERIAL_TRANSFERRED,
        str(transfer.transfer_id),
        EVENT_TYPE,
        material_transferred_payload(transfer),
    )
