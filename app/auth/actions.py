"""The actions inventory asks identity about, one per kind of operation."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    READ = "inventory:read"
    LOCATION_MANAGE = "inventory:location.manage"
    MATERIAL_MANAGE = "inventory:material.manage"
    STOCK_ADJUST = "inventory:stock.adjust"
    PURCHASE_ORDER_MANAGE = "inventory:purchase-order.manage"
    PURCHASE_ORDER_RECEIVE = "inventory:purchase-order.receive"
    TRANSFER_CREATE = "inventory:transfer.create"
    PRODUCT_VARIANT_SYNC = "inventory:product-variant.sync"
