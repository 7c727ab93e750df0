"""Every topic the service reads or writes, by its contract name."""

from __future__ import annotations

# Published through the outbox.
INVENTORY_STOCK_CHANGED = "inventory.stock-changed"
MATERIAL_STOCK_CHANGED = "material.stock-changed"
PURCHASE_ORDER_RECEIVED = "purchase-order.received"
MATERIAL_TRANSFERRED = "material.transferred"

# Consumed.
PAYMENT_SUCCESS = "payment.success"
KITCHEN_TICKET_ITEM_STATUS_CHANGED = "kitchen-ticket-item.status-changed"
CDC_PRODUCT_VARIANT = "nx.seller.public.product_variant"
CDC_MERCHANT = "nx.seller.public.merchant"

PUBLISHED = (
    INVENTORY_STOCK_CHANGED,
    MATERIAL_STOCK_CHANGED,
    PURCHASE_ORDER_RECEIVED,
    MATERIAL_TRANSFERRED,
)
CONSUMED = (PAYMENT_SUCCESS, KITCHEN_TICKET_ITEM_STATUS_CHANGED, CDC_PRODUCT_VARIANT, CDC_MERCHANT)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
