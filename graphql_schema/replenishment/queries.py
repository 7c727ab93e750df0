"""Query.reorderSuggestions and Query.inventoryValuation."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.db.models.base import utcnow
from app.db.queries.valuation import inventory_valuation
from app.domain.errors import DomainError
from app.domain.reorder import ReorderMethod
from app.services.reorder_suggestions import reorder_suggestions
from graphql_schema.context import Info
from graphql_schema.errors import bad_input
from graphql_schema.ids import NO_ROW, filter_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.replenishment.types import (
    InventoryValuation,
    ReorderSuggestion,
    suggestion_from_read,
    valuation_from_read,
)


@strawberry.type
class ReplenishmentQueries:
    @secured(CanRead)
    async def reorder_suggestions(
        self,
        info: Info,
        location_id: strawberry.ID,
        method: ReorderMethod | None = ReorderMethod.PAR,
        lookback_days: int | None = 28,
        cover_days: int | None = 7,
        vendor_id: strawberry.ID | None = None,
    ) -> list[ReorderSuggestion]:
        context = info.context
        location = filter_id(location_id, "Location") or NO_ROW
        vendor = filter_id(vendor_id, "Vendor")
        now = utcnow()
        try:
            found = await context.read(
                lambda session: reorder_suggestions(
                    session,
                    context.merchant_id,
                    location,
                    method=method or ReorderMethod.PAR,
                    lookback_days=28 if lookback_days is None else lookback_days,
                    cover_days=7 if cover_days is None else cover_days,
                    vendor_id=vendor,
                    now=now,
                )
            )
        except DomainError as error:
            problem = error.problems[0]
            raise bad_input(
                f"{'.'.join(map(str, problem.field or ()))}: {problem.message}"
            ) from None
        return [suggestion_from_read(s) for s in found]

    @secured(CanRead)
    async def inventory_valuation(
        self, info: Info, location_id: strawberry.ID | None = None, at: datetime | None = None
    ) -> InventoryValuation:
        context = info.context
        location = filter_id(location_id, "Location")
        now = utcnow()
        read = await context.read(
            lambda session: inventory_valuation(
                session, context.merchant_id, location_id=location, at=at, now=now
            )
        )
        return valuation_from_read(read)
