"""Purchase order queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.purchase_orders import purchase_orders_statement
from graphql_schema.context import Info
from graphql_schema.enums import PurchaseOrderStatus
from graphql_schema.ids import filter_id, parse_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.purchase_orders.types import (
    TYPE_NAME,
    PurchaseOrder,
    load_purchase_order,
    purchase_order_from_row,
)
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class PurchaseOrderQueries:
    @secured(CanRead)
    async def purchase_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: PurchaseOrderStatus | None = None,
        location_id: strawberry.ID | None = None,
        vendor_id: strawberry.ID | None = None,
    ) -> Connection[PurchaseOrder]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = purchase_orders_statement(
            info.context.merchant_id,
            status=status,
            location_id=filter_id(location_id, "Location"),
            vendor_id=filter_id(vendor_id, "Vendor"),
        )
        return await keyset_connection(
            info.context, request, statement, t.purchase_order.c.id, purchase_order_from_row
        )

    @secured(CanRead)
    async def purchase_order(self, info: Info, id: strawberry.ID) -> PurchaseOrder | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_purchase_order(info, pk)
