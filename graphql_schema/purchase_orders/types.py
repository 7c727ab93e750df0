"""PurchaseOrder with its lines, payments, location and vendor."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Row
from strawberry.scalars import JSON

from app.domain.enums import ItemType as DomainItemType
from graphql_schema.context import Info
from graphql_schema.enums import ItemType, PurchaseOrderStatus
from graphql_schema.ids import global_id
from graphql_schema.locations.types import Location, load_location
from graphql_schema.relay import Node
from graphql_schema.stocks.types import StockItem, load_stock_item
from graphql_schema.vendors.types import Vendor, load_vendor

TYPE_NAME = "PurchaseOrder"
LINE_TYPE_NAME = "PurchaseOrderLine"


@strawberry.type
class PurchaseOrderLine:
    item_id: strawberry.Private[uuid.UUID]  # (before the field `uuid` that hides the module)
    id: strawberry.ID
    uuid: strawberry.ID  # the lineId of /v1 receipts and of purchase-order.received lines
    item_type: ItemType
    # In `unit`: as entered (the item's base unit when none was given).
    quantity_ordered: Decimal
    quantity_received: Decimal | None
    unit_cost: Decimal
    quantity_ordered_base: Decimal
    quantity_received_base: Decimal | None
    given_unit: strawberry.Private[str | None] = None

    @strawberry.field
    async def item(self, info: Info) -> StockItem:
        return await load_stock_item(info, self.item_type, self.item_id)

    @strawberry.field
    async def unit(self, info: Info) -> str:
        if self.given_unit is not None:
            return self.given_unit
        return (await load_stock_item(info, self.item_type, self.item_id)).unit


@strawberry.type
class PurchaseOrderPayment:
    method: str
    amount: Decimal
    paid_at: datetime | None
    reference: str | None


@strawberry.type
class PurchaseOrder(Node):
    pk: strawberry.Private[uuid.UUID]
    location_id: strawberry.Private[uuid.UUID]
    vendor_id: strawberry.Private[uuid.UUID]
    number: str
    status: PurchaseOrderStatus
    vendor_snapshot: JSON | None = strawberry.field(description="The vendor as it was at receipt.")
    currency: str
    received_at: datetime | None
    created_at: datetime
    backorder_of_id: strawberry.Private[uuid.UUID | None] = None

    @strawberry.field
    async def location(self, info: Info) -> Location:
        location = await load_location(info, self.location_id)
        assert location is not None, "an order's location belongs to its merchant"
        return location

    @strawberry.field
    async def vendor(self, info: Info) -> Vendor:
        vendor = await load_vendor(info, self.vendor_id)
        assert vendor is not None, "an order's vendor belongs to its merchant"
        return vendor

    # The purchase order that took what this one received short.
    @strawberry.field
    async def backorder(self, info: Info) -> PurchaseOrder | None:
        row = await info.context.loaders.backorder.load(self.pk)
        return None if row is None else purchase_order_from_row(row)

    @strawberry.field
    async def backorder_of(self, info: Info) -> PurchaseOrder | None:
        if self.backorder_of_id is None:
            return None
        return await load_purchase_order(info, self.backorder_of_id)

    @strawberry.field
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = await info.context.loaders.purchase_order_lines.load(self.pk)
        return [line_from_row(row) for row in rows]

    @strawberry.field
    async def payments(self, info: Info) -> list[PurchaseOrderPayment]:
        rows = await info.context.loaders.purchase_order_payments.load(self.pk)
        return [
            PurchaseOrderPayment(
                method=row.method, amount=row.amount, paid_at=row.paid_at, reference=row.reference
            )
            for row in rows
        ]


def line_from_row(row: Row[Any]) -> PurchaseOrderLine:
    product = row.item_type is DomainItemType.PRODUCT
    return PurchaseOrderLine(
        id=strawberry.ID(global_id(LINE_TYPE_NAME, row.id)),
        uuid=strawberry.ID(str(row.id)),
        item_id=row.inventory_item_id if product else row.material_id,
        item_type=row.item_type,
        quantity_ordered=_entered(row.entered_quantity_ordered, row.quantity_ordered),
        quantity_received=_entered(row.entered_quantity_received, row.quantity_received),
        unit_cost=_entered(row.entered_unit_cost, row.unit_cost),
        quantity_ordered_base=row.quantity_ordered,
        quantity_received_base=row.quantity_received,
        given_unit=row.unit,
    )


def _entered(entered: Decimal | None, base: Decimal | None) -> Any:
    """A line's value as entered; the base one when the line is in the base unit."""
    return base if entered is None else entered


def purchase_order_from_row(row: Row[Any]) -> PurchaseOrder:
    return PurchaseOrder(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        uuid=strawberry.ID(str(row.id)),
        pk=row.id,
        location_id=row.location_id,
        vendor_id=row.vendor_id,
        number=row.number,
        status=row.status,
        vendor_snapshot=row.vendor_snapshot,
        currency=row.currency,
        received_at=row.received_at,
        created_at=row.created_at,
        backorder_of_id=row.backorder_of_id,
    )


async def load_purchase_order(info: Info, pk: uuid.UUID) -> PurchaseOrder | None:
    row = await info.context.loaders.purchase_order.load(pk)
    return None if row is None else purchase_order_from_row(row)
