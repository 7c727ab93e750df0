"""StockMovement: one row of the append-only ledger."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Row

from app.services.stock_records import Movement
from graphql_schema.context import Info
from graphql_schema.enums import MovementType, ReferenceType
from graphql_schema.ids import global_id
from graphql_schema.relay import Node
from graphql_schema.stocks.types import Stock, load_stock

TYPE_NAME = "StockMovement"


@strawberry.type
class StockMovement(Node):
    pk: strawberry.Private[uuid.UUID]
    stock_id: strawberry.Private[uuid.UUID]
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: Decimal
    delta_reserved: Decimal
    on_hand_after: Decimal
    reserved_after: Decimal
    reason: str | None
    actor: str | None
    occurred_at: datetime
    entered_quantity: Decimal | None = None
    entered_unit: str | None = None

    @strawberry.field
    async def stock(self, info: Info) -> Stock:
        stock = await load_stock(info, self.stock_id)
        assert stock is not None, "a movement's stock belongs to its merchant"
        return stock


def movement_from_row(row: Row[Any] | Movement) -> StockMovement:
    return StockMovement(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        uuid=strawberry.ID(str(row.id)),
        pk=row.id,
        stock_id=row.stock_id,
        type=row.type,
        reference_type=row.reference_type,
        reference_id=row.reference_id,
        delta_on_hand=row.delta_on_hand,
        delta_reserved=row.delta_reserved,
        on_hand_after=row.on_hand_after,
        reserved_after=row.reserved_after,
        reason=row.reason,
        actor=row.actor,
        occurred_at=row.occurred_at,
        entered_quantity=row.entered_quantity,
        entered_unit=row.entered_unit,
    )


async def load_movement(info: Info, pk: uuid.UUID) -> StockMovement | None:
    row = await info.context.loaders.movement.load(pk)
    return None if row is None else movement_from_row(row)
