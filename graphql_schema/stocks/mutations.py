"""Stock mutations: adjust, count, waste (stock.adjust) and thresholds (material.manage)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from decimal import Decimal
from typing import TypeVar

import strawberry

from app.domain.enums import ItemType as DomainItemType
from app.services import stock_adjustments as service
from app.services.stock_refs import StockRef as ServiceStockRef
from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.movements.types import StockMovement, load_movement, movement_from_row
from graphql_schema.mutations import mutate, optional_input_id
from graphql_schema.permissions import CanAdjustStock, CanManageMaterials, secured
from graphql_schema.stocks.types import Stock, load_stock, stock_from_row

log = logging.getLogger(__name__)
R = TypeVar("R")


@strawberry.input(description="A stock by its id, or by location + item.")
class StockRef:
    stock_id: strawberry.ID | None = None
    location_id: strawberry.ID | None = None
    item_type: ItemType | None = None
    item_id: strawberry.ID | None = None

    def to_service(self) -> ServiceStockRef:
        item_kind = "Material" if self.item_type is DomainItemType.MATERIAL else "InventoryItem"
        return ServiceStockRef(
            stock_id=optional_input_id(self.stock_id, "Stock"),
            location_id=optional_input_id(self.location_id, "Location"),
            item_type=self.item_type,
            item_id=optional_input_id(self.item_id, item_kind),
        )


@strawberry.input
class StockAdjustInput:
    stock: StockRef
    delta: Decimal
    reason: str
    change_from_quantity: Decimal | None = None
    allow_negative: bool | None = False
    unit: str | None = None


@strawberry.input
class StockCountInput:
    stock: StockRef
    counted_quantity: Decimal
    reason: str | None = None
    unit: str | None = None


@strawberry.input
class StockWasteInput:
    stock: StockRef
    quantity: Decimal
    reason: str
    unit: str | None = None


@strawberry.input
class StockThresholdInput:
    stock: StockRef
    low_stock_threshold: Decimal | None = None
    unit: str | None = None


@strawberry.type
class StockPayload:
    stock: Stock | None
    movement: StockMovement | None
    user_errors: list[UserError]


@strawberry.type
class StockThresholdPayload:
    stock: Stock | None
    user_errors: list[UserError]


async def fresh_stock(info: Info, result: service.StockChangeResult) -> Stock | None:
    forget(info.context.loaders.stock, result.stock_id)
    if result.stock is not None:
        return stock_from_row(result.stock)
    return await _after_commit(load_stock(info, result.stock_id))


async def _fresh(
    info: Info, result: service.StockChangeResult
) -> tuple[Stock | None, StockMovement | None]:
    """The answer from the rows the transaction wrote: a committed write is never answered
    as failed because a read after its commit failed."""
    movement = None
    if result.movement is not None:
        movement = movement_from_row(result.movement)
    elif result.movement_id is not None:
        movement = await _after_commit(load_movement(info, result.movement_id))
    return await fresh_stock(info, result), movement


async def _after_commit(read: Awaitable[R | None]) -> R | None:
    """A replayed result's read (only its ids were stored): committed before, so a read
    that fails now answers null for that part, never an error for the write."""
    try:
        return await read
    except Exception:
        log.warning("a read after commit failed; the payload answers null", exc_info=True)
        return None


def _stock_payload(
    fresh: tuple[Stock | None, StockMovement | None] | None, errors: list[UserError]
) -> StockPayload:
    stock, movement = fresh or (None, None)
    return StockPayload(stock=stock, movement=movement, user_errors=errors)


@strawberry.type
class StockMutations:
    @secured(CanAdjustStock)
    async def stock_adjust(
        self, info: Info, input: StockAdjustInput, idempotency_key: str | None = None
    ) -> StockPayload:
        fresh, errors = await mutate(
            info,
            lambda uow, actor: service.adjust_stock(
                uow,
                actor,
                ref=input.stock.to_service(),
                delta=input.delta,
                reason=input.reason,
                change_from_quantity=input.change_from_quantity,
                allow_negative=bool(input.allow_negative),
                unit=input.unit,
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return _stock_payload(fresh, errors)

    @secured(CanAdjustStock)
    async def stock_count(
        self, info: Info, input: StockCountInput, idempotency_key: str | None = None
    ) -> StockPayload:
        fresh, errors = await mutate(
            info,
            lambda uow, actor: service.count_stock(
                uow,
                actor,
                ref=input.stock.to_service(),
                counted_quantity=input.counted_quantity,
                reason=input.reason,
                unit=input.unit,
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return _stock_payload(fresh, errors)

    @secured(CanAdjustStock)
    async def stock_waste(
        self, info: Info, input: StockWasteInput, idempotency_key: str | None = None
    ) -> StockPayload:
        fresh, errors = await mutate(
            info,
            lambda uow, actor: service.record_waste(
                uow,
                actor,
                ref=input.stock.to_service(),
                quantity=input.quantity,
                reason=input.reason,
                unit=input.unit,
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return _stock_payload(fresh, errors)

    @secured(CanManageMaterials)
    async def stock_threshold_set(
        self, info: Info, input: StockThresholdInput
    ) -> StockThresholdPayload:
        stock, errors = await mutate(
            info,
            lambda uow, actor: service.set_low_stock_threshold(
                uow,
                actor,
                ref=input.stock.to_service(),
                threshold=input.low_stock_threshold,
                unit=input.unit,
            ),
            fresh_stock,
        )
        return StockThresholdPayload(stock=stock, user_errors=errors)
