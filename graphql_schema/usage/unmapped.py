"""unmappedSales: what the period's sales sold that depleted nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from app.db.queries.unmapped_sales import unmapped_sales
from graphql_schema.context import Info
from graphql_schema.errors import bad_input
from graphql_schema.ids import NO_ROW, filter_id
from graphql_schema.items.types import InventoryItem, load_item
from graphql_schema.permissions import CanRead, secured


@strawberry.type
class UnmappedSale:
    inventory_item_id: strawberry.Private[uuid.UUID | None]
    product_variant_id: strawberry.ID
    # Set when it is a modifier option without a recipe.
    modifier_option_id: strawberry.ID | None
    # Units sold; for a modifier option, item quantity x modifier quantity, summed.
    quantity_sold: Decimal
    # Sale orders it was on.
    sales: int
    # occurredAt of the last payment it was on.
    last_sold_at: datetime

    @strawberry.field
    async def inventory_item(self, info: Info) -> InventoryItem | None:
        if self.inventory_item_id is None:
            return None
        return await load_item(info, self.inventory_item_id)


@strawberry.type
class UnmappedSaleQueries:
    @secured(CanRead)
    async def unmapped_sales(
        self,
        info: Info,
        location_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> list[UnmappedSale]:
        if to <= from_:
            raise bad_input("to must be after from")
        location = filter_id(location_id, "Location") or NO_ROW
        merchant = info.context.merchant_id
        found = await info.context.read(
            lambda session: unmapped_sales(session, merchant, location, from_, to)
        )
        return [
            UnmappedSale(
                inventory_item_id=s.inventory_item_id,
                product_variant_id=strawberry.ID(str(s.product_variant_id)),
                modifier_option_id=(
                    None
                    if s.modifier_option_id is None
                    else strawberry.ID(str(s.modifier_option_id))
                ),
                quantity_sold=s.quantity_sold,
                sales=s.sales,
                last_sold_at=s.last_sold_at,
            )
            for s in found
        ]
