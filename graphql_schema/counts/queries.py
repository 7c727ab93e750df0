"""Count session queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.count_sessions import sessions_statement
from app.domain.enums import CountStatus
from graphql_schema.context import Info
from graphql_schema.counts.types import (
    TYPE_NAME,
    CountSession,
    load_count_session,
    session_from_row,
)
from graphql_schema.ids import filter_id, parse_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class CountQueries:
    @secured(
        CanRead, description="Count sessions, newest last; of a location and status when given."
    )
    async def count_sessions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        location_id: strawberry.ID | None = None,
        status: CountStatus | None = None,
    ) -> Connection[CountSession]:
        request = page_request(TYPE_NAME, first, after, None, None, limits=info.context.limits)
        statement = sessions_statement(
            info.context.merchant_id,
            location_id=filter_id(location_id, "Location"),
            status=status,
        )
        return await keyset_connection(
            info.context, request, statement, t.count_session.c.id, session_from_row
        )

    @secured(CanRead)
    async def count_session(self, info: Info, id: strawberry.ID) -> CountSession | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_count_session(info, pk)
