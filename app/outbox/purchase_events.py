"""The `purchase-order.received` payload finance consumes (only for receipts with payments)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.db.models.base import uuid7
from app.domain.enums import ItemType
from app.domain.quantities import decimal_str
from app.kafka import topics
from app.outbox.writer import PendingEvent

EVENT_TYPE = "PURCHASE_ORDER_RECEIVED"


@dataclass(frozen=True)
class ReceivedLine:
    """A line as received. Finance sees it in the line's unit (as ordered); the stock and
    the average cost take its base quantity and the value exactly as entered."""

    line_id: uuid.UUID
    item_type: ItemType
    item_id: uuid.UUID  # the inventory item or the material
    product_variant_id: uuid.UUID | None
    name: str
    unit: str  # the line's unit, as the item spells it
    quantity_ordered: Decimal
    quantity_received: Decimal
    unit_cost: Decimal
    base_quantity_received: Decimal
    base_unit_cost: Decimal
    value: Decimal  # quantity x unit cost as entered: the line total
    in_base_unit: bool = True  # the line's unit is the item's base unit
    # What the receipt typed, when it was in another unit than the base unit.
    typed_quantity: Decimal | None = None
    typed_unit: str | None = None

    @property
    def material_id(self) -> uuid.UUID | None:
        return self.item_id if self.item_type is ItemType.MATERIAL else None

    @property
    def total(self) -> Decimal:
        return self.value


@dataclass(frozen=True)
class ReceivedPayment:
    payment_id: uuid.UUID
    method: str
    amount: Decimal
    paid_at: datetime | None
    reference: str | None


@dataclass(frozen=True)
class Receipt:
    merchant_id: uuid.UUID
    location_id: uuid.UUID
    purchase_order_id: uuid.UUID
    number: str
    currency: str
    vendor: Mapping[str, Any]  # the snapshot stored on the purchase order
    received_at: datetime
    received_by: str | None
    lines: Sequence[ReceivedLine]
    payments: Sequence[ReceivedPayment]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _line(line: ReceivedLine) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "lineId": str(line.line_id),
        "itemType": line.item_type.value,
        "name": line.name,
        "unit": line.unit,
        "quantityOrdered": decimal_str(line.quantity_ordered),
        "quantityReceived": decimal_str(line.quantity_received),
        "unitCost": decimal_str(line.unit_cost),
        "lineTotal": decimal_str(line.total),
    }
    if line.item_type is ItemType.PRODUCT:
        payload["productVariantId"] = str(line.product_variant_id)
    else:
        payload["materialId"] = str(line.material_id)
    return payload


def _payment(payment: ReceivedPayment) -> dict[str, Any]:
    return {
        "paymentId": str(payment.payment_id),
        "method": payment.method,
        "amount": decimal_str(payment.amount),
        "paidAt": None if payment.paid_at is None else _iso(payment.paid_at),
        "reference": payment.reference,
    }


def purchase_order_received_payload(receipt: Receipt) -> dict[str, Any]:
    """Decimals as strings; line totals and the subtotal are exact (no rounding of money here)."""
    payload: dict[str, Any] = {
        "eventId": str(uuid7()),
        "eventType": EVENT_TYPE,
        "occurredAt": _iso(receipt.received_at),
        "merchantId": str(receipt.merchant_id),
        "locationId": str(receipt.location_id),
        "purchaseOrderId": str(receipt.purchase_order_id),
        "purchaseOrderNumber": receipt.number,
        "vendor": dict(receipt.vendor),
        "receivedAt": _iso(receipt.received_at),
        "currency": receipt.currency,
        "lines": [_line(line) for line in receipt.lines],
        "subtotal": decimal_str(sum((line.total for line in receipt.lines), Decimal(0))),
        "payments": [_payment(payment) for payment in receipt.payments],
        "totalPaid": decimal_str(sum((p.amount for p in receipt.payments), Decimal(0))),
    }
    if receipt.received_by is not None:
        payload["receivedBy"] = receipt.received_by
    return payload


def purchase_order_received_event(receipt: Receipt) -> PendingEvent:
    """The outbox row finance reads; keyed by the purchase order so its events stay in order."""
    return PendingEvent(
        topics.PURCHASE_ORDER_RECEIVED,
        str(receipt.purchase_order_id),
        EVENT_TYPE,
        purchase_order_received_payload(receipt),
    )
