"""ItemUnitInput: an own unit as a client defines it ("case" = 12 "bottle")."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.services.item_units import ItemUnitInput as ServiceItemUnitInput


@strawberry.input
class ItemUnitInput:
    name: str
    quantity: Decimal
    unit: str

    def to_service(self) -> ServiceItemUnitInput:
        return ServiceItemUnitInput(self.name, self.quantity, self.unit)
