"""Material queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.materials import materials_statement
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.materials.types import TYPE_NAME, Material, load_material, material_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request


@strawberry.type
class MaterialQueries:
    @secured(CanRead)
    async def materials(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
        include_archived: bool | None = False,
    ) -> Connection[Material]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = materials_statement(
            info.context.merchant_id, search=search, include_archived=bool(include_archived)
        )
        return await keyset_connection(
            info.context, request, statement, t.material.c.id, material_from_row
        )

    @secured(CanRead)
    async def material(self, info: Info, id: strawberry.ID) -> Material | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_material(info, pk)
