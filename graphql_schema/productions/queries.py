"""Query.productions: batches of prep items made, newest pages by id order."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.db import tables as t
from app.db.queries.productions import productions_statement
from graphql_schema.context import Info
from graphql_schema.ids import filter_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.productions.types import TYPE_NAME, Production, production_from_row
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class ProductionQueries:
    @secured(CanRead)
    async def productions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        location_id: strawberry.ID | None = None,
        material_id: strawberry.ID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Connection[Production]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = productions_statement(
            info.context.merchant_id,
            location_id=filter_id(location_id, "Location"),
            material_id=filter_id(material_id, "Material"),
            since=since,
            until=until,
        )
        return await keyset_connection(
            info.context, request, statement, t.production.c.id, production_from_row
        )
