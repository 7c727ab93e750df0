"""ReorderSuggestion, ValuationLine and InventoryValuation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.db.queries.valuation import Valuation
from app.db.queries.valuation import ValuationLine as ValuationLineRead
from app.domain.reorder import ReorderMethod
from app.services.reorder_suggestions import ReorderSuggestion as SuggestionRead
from graphql_schema.context import Info
from graphql_schema.relay import Connection, connection_of, page_request
from graphql_schema.stocks.types import Stock, stock_from_row
from graphql_schema.vendors.types import Vendor, vendor_from_row

strawberry.enum(ReorderMethod, name="ReorderMethod")

VALUATION_LINE = "ValuationLine"


@strawberry.type
class ReorderSuggestion:
    stock: Stock
    vendor: Vendor | None = strawberry.field(description="The vendor it was last received from.")
    available: Decimal
    incoming: Decimal
    par_level: Decimal | None
    reorder_point: Decimal | None
    average_daily_usage: Decimal
    days_of_cover: Decimal | None
    suggested_quantity: Decimal
    pack_unit: str | None
    suggested_packs: Decimal | None
    last_unit_cost: Decimal | None


def suggestion_from_read(read: SuggestionRead) -> ReorderSuggestion:
    return ReorderSuggestion(
        stock=stock_from_row(read.stock),
        vendor=None if read.vendor is None else vendor_from_row(read.vendor),
        available=read.available,
        incoming=read.incoming,
        par_level=read.par_level,
        reorder_point=read.reorder_point,
        average_daily_usage=read.average_daily_usage,
        days_of_cover=read.days_of_cover,
        suggested_quantity=read.suggested_quantity,
        pack_unit=read.pack_unit,
        suggested_packs=read.suggested_packs,
        last_unit_cost=read.last_unit_cost,
    )


@strawberry.type
class ValuationLine:
    stock: Stock
    quantity: Decimal = strawberry.field(description="onHandAt(at)")
    unit_cost: Decimal | None
    value: Decimal | None


@strawberry.type
class InventoryValuation:
    at: datetime
    currency: str | None
    total_value: Decimal
    all_lines: strawberry.Private[list[ValuationLineRead]]

    @strawberry.field
    def lines(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ValuationLine]:
        # Forward paging only (the contract's lines take first/after).
        request = page_request(VALUATION_LINE, first, after, None, None, limits=info.context.limits)
        keys = [line.stock.id for line in self.all_lines]
        start = 0
        if request.keyset.after is not None:
            start = (
                keys.index(request.keyset.after) + 1 if request.keyset.after in keys else len(keys)
            )
        page = self.all_lines[start : start + request.keyset.limit]
        nodes = [
            ValuationLine(
                stock=stock_from_row(line.stock),
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                value=line.value,
            )
            for line in page
        ]
        total = len(self.all_lines)

        async def counter() -> int:
            return total

        has_more = start + len(page) < total
        return connection_of(request, nodes, [n.stock.pk for n in nodes], has_more, counter)


def valuation_from_read(read: Valuation) -> InventoryValuation:
    return InventoryValuation(
        at=read.at, currency=read.currency, total_value=read.total_value, all_lines=read.lines
    )
