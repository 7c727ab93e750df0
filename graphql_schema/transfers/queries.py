"""Transfer queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.transfers import transfers_statement
from graphql_schema.context import Info
from graphql_schema.ids import filter_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request
from graphql_schema.transfers.types import TYPE_NAME, Transfer, transfer_from_row


@strawberry.type
class TransferQueries:
    @secured(CanRead, description="Transfers from or to the location when given.")
    async def transfers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        location_id: strawberry.ID | None = None,
    ) -> Connection[Transfer]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = transfers_statement(
            info.context.merchant_id, location_id=filter_id(location_id, "Location")
        )
        return await keyset_connection(
            info.context, request, statement, t.transfer.c.id, transfer_from_row
        )
