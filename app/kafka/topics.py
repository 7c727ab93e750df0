"""Every topic the service reads or writes, by its contract name (and the internal ones)."""

from __future__ import annotations

# Published through the outbox.
INVENTORY_STOCK_CHANGED = "inventory.stock-changed"
MATERIAL_STOCK_CHANGED = "material.stock-changed"
PURCHASE_ORDER_RECEIVED = "purchase-order.received"
MATERIAL_TRANSFERRED = "material.transferred"
# Internal, not in the contract: a product's availability inputs changed without stock
# moving (its recipe, its tracking); only this service's realtime consumer reads it.
AVAILABILITY_INPUTS_CHANGED = "inventory.availability-inputs-changed"
# Internal too: a threshold change made a stock low or no longer low, no stock moving;
# the realtime consumer turns it into a lowStock event.
STOCK_THRESHOLD_CHANGED = "inventory.stock-threshold-changed"

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
    AVAILABILITY_INPUTS_CHANGED,
    STOCK_THRESHOLD_CHANGED,
)
CONSUMED = (PAYMENT_SUCCESS, KITCHEN_TICKET_ITEM_STATUS_CHANGED, CDC_PRODUCT_VARIANT, CDC_MERCHANT)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"
