"""The ledger check: stocks whose movements do not sum to their quantities."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_schema.context import Info
from graphql_schema.stocks.types import Stock, load_stock


@strawberry.type
class LedgerDiscrepancy:
    stock_id: strawberry.Private[uuid.UUID]
    ledger_on_hand: Decimal = strawberry.field(description="Sum of the movements' deltaOnHand.")
    ledger_reserved: Decimal = strawberry.field(description="Sum of the movements' deltaReserved.")

    @strawberry.field
    async def stock(self, info: Info) -> Stock:
        stock = await load_stock(info, self.stock_id)
        assert stock is not None, "a discrepancy's stock belongs to the merchant"
        return stock


@strawberry.type
class LedgerCheck:
    stocks_checked: int
    discrepancies: list[LedgerDiscrepancy]
    checked_at: datetime
