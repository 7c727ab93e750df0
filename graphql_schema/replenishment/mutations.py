"""Mutation.stockParSet (material.manage, like thresholds)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.services import stock_pars as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.mutations import mutate
from graphql_schema.permissions import CanManageMaterials, secured
from graphql_schema.stocks.mutations import StockRef, fresh_stock
from graphql_schema.stocks.types import Stock


@strawberry.input
class StockParInput:
    stock: StockRef
    par_level: Decimal | None = None
    reorder_point: Decimal | None = None
    unit: str | None = None


@strawberry.type
class StockParPayload:
    stock: Stock | None
    user_errors: list[UserError]


@strawberry.type
class ReplenishmentMutations:
    @secured(CanManageMaterials)
    async def stock_par_set(self, info: Info, input: StockParInput) -> StockParPayload:
        stock, errors = await mutate(
            info,
            lambda uow, actor: service.set_stock_par(
                uow,
                actor,
                ref=input.stock.to_service(),
                par_level=input.par_level,
                reorder_point=input.reorder_point,
                unit=input.unit,
            ),
            fresh_stock,
        )
        return StockParPayload(stock=stock, user_errors=errors)
