"""Query.ledgerCheck: recompute the merchant's stocks from the ledger."""

from __future__ import annotations

import strawberry

from app.db.queries.ledger import check_ledger
from graphql_schema.context import Info
from graphql_schema.ids import filter_id
from graphql_schema.ledger.types import LedgerCheck, LedgerDiscrepancy
from graphql_schema.permissions import CanRead, secured


@strawberry.type
class LedgerQueries:
    @secured(
        CanRead,
        description="Recomputes every stock's quantities from its ledger; lists those that differ.",
    )
    async def ledger_check(
        self, info: Info, location_id: strawberry.ID | None = None
    ) -> LedgerCheck:
        merchant_id = info.context.merchant_id
        location = filter_id(location_id, "Location")
        result = await info.context.read(
            lambda session: check_ledger(session, merchant_id=merchant_id, location_id=location)
        )
        return LedgerCheck(
            stocks_checked=result.stocks_checked,
            discrepancies=[
                LedgerDiscrepancy(
                    stock_id=d.stock_id,
                    ledger_on_hand=d.ledger_on_hand,
                    ledger_reserved=d.ledger_reserved,
                )
                for d in result.discrepancies
            ],
            checked_at=result.checked_at,
        )
