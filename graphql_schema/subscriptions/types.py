"""StockChange, and the contract's Stock and StockMovement built from an event, as of it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.realtime.events import StockEvent
from app.realtime.low_stock import LowStockEvent
from graphql_schema.ids import global_id
from graphql_schema.movements.types import TYPE_NAME as MOVEMENT_TYPE
from graphql_schema.movements.types import StockMovement
from graphql_schema.stocks.types import TYPE_NAME as STOCK_TYPE
from graphql_schema.stocks.types import Stock
from graphql_schema.subscriptions.shared import share_results


@strawberry.type
class StockChange:
    # As of the event: onHand, reserved, available and version of that change, not now.
    stock: Stock
    movement: StockMovement
    occurred_at: datetime


def stock_as_of(event: StockEvent | LowStockEvent) -> Stock:
    """The stock right after the event's change; relations (item, location) load as usual.

    One object per event, whichever subscriber asks, so their executions can be shared.
    """
    stock: Stock | None = event.views.get("Stock")
    if stock is None:
        version = event.version if isinstance(event, StockEvent) else event.stock_version
        stock = event.views["Stock"] = share_results(_stock(event, version))
    return stock


def _stock(event: StockEvent | LowStockEvent, version: int) -> Stock:
    return Stock(
        id=strawberry.ID(global_id(STOCK_TYPE, event.stock_id)),
        uuid=strawberry.ID(str(event.stock_id)),
        pk=event.stock_id,
        location_id=event.location_id,
        item_id=event.item_id,
        item_type=event.item_type,
        on_hand=event.on_hand,
        reserved=event.reserved,
        available=event.available,
        low_stock_threshold=event.low_stock_threshold,
        version=version,
        updated_at=event.occurred_at,
    )


def movement_of(event: StockEvent) -> StockMovement:
    movement = event.movement
    return StockMovement(
        id=strawberry.ID(global_id(MOVEMENT_TYPE, movement.id)),
        uuid=strawberry.ID(str(movement.id)),
        pk=movement.id,
        stock_id=event.stock_id,
        type=movement.type,
        reference_type=movement.reference_type,
        reference_id=movement.reference_id,
        delta_on_hand=movement.delta_on_hand,
        delta_reserved=movement.delta_reserved,
        on_hand_after=event.on_hand,
        reserved_after=event.reserved,
        reason=movement.reason,
        actor=movement.actor,
        occurred_at=event.occurred_at,
        entered_quantity=movement.entered_quantity,
        entered_unit=movement.entered_unit,
    )


def stock_change(event: StockEvent) -> StockChange:
    change: StockChange | None = event.views.get("StockChange")
    if change is None:
        change = StockChange(
            stock=stock_as_of(event), movement=movement_of(event), occurred_at=event.occurred_at
        )
        event.views["StockChange"] = share_results(change)
    return change
