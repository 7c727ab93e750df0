"""Transfer of materials between two locations."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Row

from graphql_schema.context import Info
from graphql_schema.ids import global_id
from graphql_schema.locations.types import Location, load_location
from graphql_schema.materials.types import Material, load_material
from graphql_schema.relay import Node

TYPE_NAME = "Transfer"


@strawberry.type
class TransferLine:
    material_id: strawberry.Private[uuid.UUID]
    quantity: Decimal
    entered_quantity: Decimal
    given_unit: strawberry.Private[str | None] = None

    @strawberry.field
    async def entered_unit(self, info: Info) -> str:
        if self.given_unit is not None:
            return self.given_unit
        return (await self._material(info)).unit

    async def _material(self, info: Info) -> Material:
        material = await load_material(info, self.material_id)
        assert material is not None, "a transfer's material belongs to its merchant"
        return material

    @strawberry.field
    async def material(self, info: Info) -> Material:
        material = await load_material(info, self.material_id)
        assert material is not None, "a transfer's material belongs to its merchant"
        return material


@strawberry.type
class Transfer(Node):
    pk: strawberry.Private[uuid.UUID]
    from_location_id: strawberry.Private[uuid.UUID]
    to_location_id: strawberry.Private[uuid.UUID]
    created_at: datetime

    @strawberry.field
    async def from_location(self, info: Info) -> Location:
        return await _location(info, self.from_location_id)

    @strawberry.field
    async def to_location(self, info: Info) -> Location:
        return await _location(info, self.to_location_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[TransferLine]:
        rows = await info.context.loaders.transfer_lines.load(self.pk)
        return [
            TransferLine(
                material_id=row.material_id,
                quantity=row.quantity,
                entered_quantity=(
                    row.quantity if row.entered_quantity is None else row.entered_quantity
                ),
                given_unit=row.entered_unit,
            )
            for row in rows
        ]


async def _location(info: Info, pk: uuid.UUID) -> Location:
    location = await load_location(info, pk)
    assert location is not None, "a transfer's locations belong to its merchant"
    return location


def transfer_from_row(row: Row[Any]) -> Transfer:
    return Transfer(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        uuid=strawberry.ID(str(row.id)),
        pk=row.id,
        from_location_id=row.from_location_id,
        to_location_id=row.to_location_id,
        created_at=row.created_at,
    )


async def load_transfer(info: Info, pk: uuid.UUID) -> Transfer | None:
    row = await info.context.loaders.transfer.load(pk)
    return None if row is None else transfer_from_row(row)
