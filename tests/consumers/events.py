"""Contract messages built from the services' event types (the wire form sale sends)."""

from __future__ import annotations

import json
from typing import Any

from app.domain.kitchen import KitchenStatusChanged
from app.domain.quantities import decimal_str
from app.domain.sale import PaymentSucceeded
from tests.consumers.kafka_helpers import Record


def _time(payment: PaymentSucceeded | KitchenStatusChanged) -> str:
    return payment.occurred_at.isoformat().replace("+00:00", "Z")


def payment_json(payment: PaymentSucceeded) -> dict[str, Any]:
    return {
        "eventId": str(payment.event_id),
        "eventType": "PAYMENT_SUCCESS",
        "occurredAt": _time(payment),
        "merchantId": str(payment.merchant_id),
        "locationId": str(payment.location_id),
        "saleOrderId": str(payment.sale_order_id),
        "paymentId": payment.payment_id,
        "items": [
            {
                "saleOrderItemId": str(item.sale_order_item_id),
                "productVariantId": str(item.product_variant_id),
                "quantity": decimal_str(item.quantity),
                "modifiers": [
                    {
                        "modifierOptionId": str(m.modifier_option_id),
                        "quantity": decimal_str(m.quantity),
                    }
                    for m in item.modifiers
                ],
            }
            for item in payment.items
        ],
    }


def payment_record(payment: PaymentSucceeded, *, partition: int | None = None) -> Record:
    return Record(
        json.dumps(payment_json(payment)).encode(),
        key=str(payment.sale_order_id).encode(),
        partition=partition,
    )


def kitchen_record(event: KitchenStatusChanged) -> Record:
    document = {
        "eventId": str(event.event_id),
        "eventType": "KITCHEN_TICKET_ITEM_STATUS_CHANGED",
        "occurredAt": _time(event),
        "merchantId": str(event.merchant_id),
        "locationId": str(event.location_id),
        "saleOrderId": str(event.sale_order_id),
        "saleOrderItemId": str(event.sale_order_item_id),
        "kitchenTicketItemId": str(event.kitchen_ticket_item_id),
        "productVariantId": str(event.product_variant_id),
        "quantity": decimal_str(event.quantity),
        "status": event.status.value,
        "previousStatus": event.previous_status.value if event.previous_status else None,
    }
    return Record(json.dumps(document).encode(), key=str(event.sale_order_id).encode())
