"""Response bodies of /v1 and how they are built from rows of the read queries."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import Row

from app.domain.enums import ItemType, MovementType, PurchaseOrderStatus, ReferenceType
from app.domain.stock_rules import is_low
from app.rest.v1.wire import DecimalOut, ResponseModel, UtcTime


class Stock(ResponseModel):
    id: uuid.UUID
    location_id: uuid.UUID
    item_type: ItemType
    material_id: uuid.UUID | None
    product_variant_id: uuid.UUID | None
    on_hand: DecimalOut
    reserved: DecimalOut
    available: DecimalOut = Field(description="onHand - reserved")
    incoming: DecimalOut = Field(description="ordered on open purchase orders, not yet received")
    unit: str
    low_stock_threshold: DecimalOut | None
    low_stock: bool
    version: int
    updated_at: UtcTime


class StockPage(ResponseModel):
    items: list[Stock]
    next_cursor: str | None


class InventoryItem(ResponseModel):
    id: uuid.UUID
    product_variant_id: uuid.UUID
    product_id: uuid.UUID | None
    sku: str | None
    name: str
    track_inventory: bool
    unit: str
    archived: bool
    created_at: UtcTime
    updated_at: UtcTime
    stocks: list[Stock] = Field(description="one per location that has a stock of this item")


class Location(ResponseModel):
    id: uuid.UUID
    name: str
    code: str | None
    address: str | None
    is_default: bool
    archived: bool
    created_at: UtcTime
    updated_at: UtcTime


class LocationPage(ResponseModel):
    items: list[Location]
    next_cursor: str | None


class Movement(ResponseModel):
    id: uuid.UUID
    stock_id: uuid.UUID
    location_id: uuid.UUID
    type: MovementType
    reference_type: ReferenceType
    reference_id: str
    delta_on_hand: DecimalOut
    delta_reserved: DecimalOut
    on_hand_after: DecimalOut
    reserved_after: DecimalOut
    reason: str | None
    actor: str | None
    went_negative: bool
    occurred_at: UtcTime


class MovementPage(ResponseModel):
    items: list[Movement]
    next_cursor: str | None


class PurchaseOrderLine(ResponseModel):
    id: uuid.UUID
    item_type: ItemType
    inventory_item_id: uuid.UUID | None
    material_id: uuid.UUID | None
    # In `unit` (null: the item's base unit), as entered; the base quantities beside.
    quantity_ordered: DecimalOut
    quantity_received: DecimalOut | None
    unit_cost: DecimalOut
    unit: str | None
    quantity_ordered_base: DecimalOut
    quantity_received_base: DecimalOut | None


class PurchaseOrderPayment(ResponseModel):
    id: uuid.UUID
    method: str
    amount: DecimalOut
    paid_at: UtcTime | None
    reference: str | None


class PurchaseOrder(ResponseModel):
    id: uuid.UUID
    number: str
    status: PurchaseOrderStatus
    location_id: uuid.UUID
    vendor_id: uuid.UUID
    currency: str
    received_at: UtcTime | None
    received_by: str | None
    lines: list[PurchaseOrderLine]
    payments: list[PurchaseOrderPayment]


def stock_from_row(row: Row[Any], incoming: Decimal) -> Stock:
    """A row of `app.db.queries.rest_stocks` (stock columns + product_variant_id + unit)."""
    return Stock(
        id=row.id,
        location_id=row.location_id,
        item_type=row.item_type,
        material_id=row.material_id,
        product_variant_id=row.product_variant_id,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        incoming=incoming,
        unit=row.unit,
        low_stock_threshold=row.low_stock_threshold,
        low_stock=is_low(row.available, row.low_stock_threshold),
        version=row.version,
        updated_at=row.updated_at,
    )


def item_from_row(row: Row[Any], stocks: list[Stock]) -> InventoryItem:
    return InventoryItem(
        id=row.id,
        product_variant_id=row.product_variant_id,
        product_id=row.product_id,
        sku=row.sku,
        name=row.name,
        track_inventory=row.track_inventory,
        unit=row.unit,
        archived=row.archived,
        created_at=row.created_at,
        updated_at=row.updated_at,
        stocks=stocks,
    )


def _fields_of(
    model: type[ResponseModel], row: Row[Any], *, besides: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The row's columns named like the model's fields (snake_case on both sides)."""
    mapping = row._mapping
    return {name: mapping[name] for name in model.model_fields if name not in besides}


def location_from_row(row: Row[Any]) -> Location:
    return Location(**_fields_of(Location, row))


def movement_from_row(row: Row[Any]) -> Movement:
    return Movement(**_fields_of(Movement, row))


def _purchase_order_line(row: Row[Any]) -> PurchaseOrderLine:
    line = row._mapping

    def entered(name: str) -> Any:
        value = line[f"entered_{name}"]
        return line[name] if value is None else value

    return PurchaseOrderLine(
        id=line["id"],
        item_type=line["item_type"],
        inventory_item_id=line["inventory_item_id"],
        material_id=line["material_id"],
        quantity_ordered=entered("quantity_ordered"),
        quantity_received=entered("quantity_received"),
        unit_cost=entered("unit_cost"),
        unit=line["unit"],
        quantity_ordered_base=line["quantity_ordered"],
        quantity_received_base=line["quantity_received"],
    )


def purchase_order_from_rows(
    order: Row[Any], lines: list[Row[Any]], payments: list[Row[Any]]
) -> PurchaseOrder:
    return PurchaseOrder(
        **_fields_of(PurchaseOrder, order, besides=("lines", "payments")),
        lines=[_purchase_order_line(line) for line in lines],
        payments=[PurchaseOrderPayment(**_fields_of(PurchaseOrderPayment, p)) for p in payments],
    )
