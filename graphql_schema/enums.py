"""The contract's enums: the domain's own classes, registered under the same names."""

from __future__ import annotations

import strawberry

from app.domain.enums import ItemType, MovementType, PurchaseOrderStatus, ReferenceType

for _enum in (ItemType, MovementType, ReferenceType, PurchaseOrderStatus):
    strawberry.enum(_enum, name=_enum.__name__)

__all__ = ["ItemType", "MovementType", "PurchaseOrderStatus", "ReferenceType"]
