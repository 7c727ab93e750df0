"""usageReport: actual vs theoretical usage of a location's stocks over [from, to)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.db.models.base import utcnow
from app.db.queries.usage import UsageQuery, period_by_stock
from app.domain.ledger_days import split_period
from app.domain.usage import by_variance_value, period_problem, total, usage
from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.errors import bad_input
from graphql_schema.ids import NO_ROW, filter_id, parse_item_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.usage.types import UsageReport, usage_line


@strawberry.type
class UsageQueries:
    @secured(CanRead)
    async def usage_report(
        self,
        info: Info,
        location_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        item_type: ItemType | None = None,
        item_ids: list[strawberry.ID] | None = None,
    ) -> UsageReport:
        if problem := period_problem(from_, to):
            raise bad_input(problem)
        location = filter_id(location_id, "Location") or NO_ROW
        items = None
        if item_ids is not None:
            # Ids of anything else name no item: they filter everything out.
            items = [found for found in map(parse_item_id, item_ids) if found is not None]
        context = info.context
        query = UsageQuery(context.merchant_id, location, from_, to, item_type, items)
        split = split_period(from_, to, utcnow())
        periods = await context.read(lambda session: period_by_stock(session, query, split))
        ordered = by_variance_value(
            [(p.stock_id, usage(p.movements, p.unit_cost)) for p in periods]
        )
        return UsageReport(
            location_id=location,
            all_lines=[usage_line(stock_id, u) for stock_id, u in ordered],
            from_=from_,
            to=to,
            actual_usage_value=total(u.actual_usage_value for _, u in ordered),
            theoretical_usage_value=total(u.theoretical_usage_value for _, u in ordered),
            variance_value=total(u.variance_value for _, u in ordered),
            wasted_value=total(u.wasted_value for _, u in ordered),
        )
