"""The usage report: per stock, actual vs theoretical usage over a period."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.usage import Usage
from graphql_schema.context import Info
from graphql_schema.errors import bad_input, not_found
from graphql_schema.ids import decode_cursor
from graphql_schema.locations.types import Location, load_location
from graphql_schema.relay import Connection, connection_of, page_request
from graphql_schema.stocks.types import Stock, load_stock

LINE_TYPE_NAME = "UsageLine"


@strawberry.type
class UsageLine:
    stock_id: strawberry.Private[uuid.UUID]
    opening: Decimal
    received: Decimal
    transferred_in: Decimal
    transferred_out: Decimal
    produced: Decimal
    adjusted_in: Decimal
    returned: Decimal
    wasted: Decimal
    closing: Decimal
    actual_usage: Decimal
    theoretical_usage: Decimal
    variance: Decimal
    unexplained: Decimal
    variance_percent: Decimal | None
    unit_cost: Decimal | None
    actual_usage_value: Decimal | None
    theoretical_usage_value: Decimal | None
    variance_value: Decimal | None
    wasted_value: Decimal | None

    @strawberry.field
    async def stock(self, info: Info) -> Stock:
        stock = await load_stock(info, self.stock_id)
        assert stock is not None, "a usage line's stock belongs to its merchant"
        return stock


def usage_line(stock_id: uuid.UUID, u: Usage) -> UsageLine:
    p = u.period
    return UsageLine(
        stock_id=stock_id,
        opening=p.opening,
        received=p.received,
        transferred_in=p.transferred_in,
        transferred_out=p.transferred_out,
        produced=p.produced,
        adjusted_in=p.adjusted_in,
        returned=p.returned,
        wasted=p.wasted,
        closing=p.closing,
        actual_usage=u.actual_usage,
        theoretical_usage=u.theoretical_usage,
        variance=u.variance,
        unexplained=u.unexplained,
        variance_percent=u.variance_percent,
        unit_cost=u.unit_cost,
        actual_usage_value=u.actual_usage_value,
        theoretical_usage_value=u.theoretical_usage_value,
        variance_value=u.variance_value,
        wasted_value=u.wasted_value,
    )


@strawberry.type
class UsageReport:
    location_id: strawberry.Private[uuid.UUID]
    # Every line, in the report's order: a page is a slice of it.
    all_lines: strawberry.Private[list[UsageLine]]
    from_: datetime = strawberry.field(name="from")
    to: datetime
    actual_usage_value: Decimal | None
    theoretical_usage_value: Decimal | None
    variance_value: Decimal | None
    wasted_value: Decimal | None

    @strawberry.field
    async def location(self, info: Info) -> Location:
        location = await load_location(info, self.location_id)
        if location is None:
            # Unknown, or another merchant's: the same answer either way.
            raise not_found("no location with that locationId")
        return location

    # Lines of every stock with any movement or stock in the period, largest absolute
    # varianceValue first.
    @strawberry.field
    def lines(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[UsageLine]:
        request = page_request(LINE_TYPE_NAME, first, after, None, None, limits=info.context.limits)
        start = 0
        if after is not None:
            stock_id = decode_cursor(after, LINE_TYPE_NAME)
            positions = [n for n, line in enumerate(self.all_lines) if line.stock_id == stock_id]
            if not positions:
                raise bad_input("after is not a cursor of this report")
            start = positions[0] + 1
        page = self.all_lines[start : start + request.keyset.limit]
        has_more = start + len(page) < len(self.all_lines)
        total = len(self.all_lines)

        async def counter() -> int:
            return total

        return connection_of(request, page, [line.stock_id for line in page], has_more, counter)
