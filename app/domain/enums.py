"""The vocabularies of the contract, shared by the tables, services and API."""

from __future__ import annotations

from enum import StrEnum


class ItemType(StrEnum):
    PRODUCT = "PRODUCT"
    MATERIAL = "MATERIAL"


class MovementType(StrEnum):
    SALE = "SALE"
    SALE_RESERVATION = "SALE_RESERVATION"
    KITCHEN_CONSUMPTION = "KITCHEN_CONSUMPTION"
    KITCHEN_RELEASE = "KITCHEN_RELEASE"
    PURCHASE_RECEIPT = "PURCHASE_RECEIPT"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    ADJUSTMENT = "ADJUSTMENT"
    COUNT = "COUNT"
    WASTE = "WASTE"
    PRODUCTION_CONSUMPTION = "PRODUCTION_CONSUMPTION"
    PRODUCTION_OUTPUT = "PRODUCTION_OUTPUT"
    RETURN = "RETURN"  # a tracked product returned by a customer, back in stock


class ReferenceType(StrEnum):
    SALE_ORDER = "SALE_ORDER"
    KITCHEN_TICKET_ITEM = "KITCHEN_TICKET_ITEM"
    POREC = "POREC"
    TRANSFER = "TRANSFER"
    MANUAL = "MANUAL"
    PRODUCTION = "PRODUCTION"
    COUNT_SESSION = "COUNT_SESSION"


class PurchaseOrderStatus(StrEnum):
    DRAFT = "DRAFT"
    ORDERED = "ORDERED"
    RECEIVED = "RECEIVED"
    CANCELLED = "CANCELLED"


class RecipeOwner(StrEnum):
    """What a recipe belongs to: a product variant, a modifier option (an extra shot), or
    a prep item (a material the kitchen makes: owner id is the material's id)."""

    PRODUCT_VARIANT = "PRODUCT_VARIANT"
    MODIFIER_OPTION = "MODIFIER_OPTION"
    PREP_ITEM = "PREP_ITEM"


class KitchenStatus(StrEnum):
    PENDING = "PENDING"
    PREPARING = "PREPARING"
    READY = "READY"
    SERVED = "SERVED"
    CANCELLED = "CANCELLED"


class KitchenEffect(StrEnum):
    """The one terminal effect a kitchen ticket item may have on its materials."""

    CONSUMED = "CONSUMED"
    RELEASED = "RELEASED"


class CountScope(StrEnum):
    """FULL: every stock of the location (of one item type) is expected to be counted."""

    FULL = "FULL"
    PARTIAL = "PARTIAL"


class CountStatus(StrEnum):
    OPEN = "OPEN"
    APPLIED = "APPLIED"
    CANCELLED = "CANCELLED"
