"""saleReturnRecord (stock.adjust): tracked products returned on a sale order, back in stock."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from app.services import sale_returns as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.ids import NO_ROW, parse_external_id
from graphql_schema.movements.types import StockMovement, load_movement
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanAdjustStock, secured


@strawberry.input
class SaleReturnLineInput:
    product_variant_id: strawberry.ID
    quantity: Decimal


@strawberry.input
class SaleReturnInput:
    location_id: strawberry.ID
    sale_order_id: strawberry.ID
    lines: list[SaleReturnLineInput]
    reason: str | None = None


@strawberry.type
class SaleReturnPayload:
    movements: list[StockMovement]
    user_errors: list[UserError]


@strawberry.type
class ReturnMutations:
    @secured(CanAdjustStock)
    async def sale_return_record(
        self, info: Info, input: SaleReturnInput, idempotency_key: str | None = None
    ) -> SaleReturnPayload:
        lines = [
            # Product variants are commerce's ids: a plain UUID, else it names nothing.
            service.SaleReturnLine(
                parse_external_id(line.product_variant_id) or NO_ROW, line.quantity
            )
            for line in input.lines
        ]
        movements, errors = await mutate(
            info,
            lambda uow, actor: service.record_sale_return(
                uow,
                actor,
                location_id=input_id(input.location_id, "Location"),
                sale_order_id=parse_external_id(input.sale_order_id) or NO_ROW,
                lines=lines,
                reason=input.reason,
                idempotency_key=idempotency_key,
            ),
            _read_back,
        )
        return SaleReturnPayload(movements=movements or [], user_errors=errors)


async def _read_back(info: Info, movement_ids: list[uuid.UUID]) -> list[StockMovement]:
    movements = []
    for movement_id in movement_ids:
        movement = await load_movement(info, movement_id)
        assert movement is not None, "a return's movement was just written"
        movements.append(movement)
    return movements
