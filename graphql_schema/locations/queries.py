"""Location queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.locations import locations_statement
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.locations.types import TYPE_NAME, Location, load_location, location_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class LocationQueries:
    @secured(CanRead)
    async def locations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        include_archived: bool | None = False,
    ) -> Connection[Location]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = locations_statement(
            info.context.merchant_id, include_archived=bool(include_archived)
        )
        return await keyset_connection(
            info.context, request, statement, t.location.c.id, location_from_row
        )

    @secured(CanRead)
    async def location(self, info: Info, id: strawberry.ID) -> Location | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_location(info, pk)
