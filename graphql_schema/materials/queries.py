"""Material queries."""

from __future__ import annotations

import strawberry

from app.db.queries.keyset import count_rows
from app.db.queries.materials import materials_page, materials_statement
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.materials.types import TYPE_NAME, Material, load_material, material_from_row
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, build_connection, node_selection, page_request
from graphql_schema.shown_columns import columns_of


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
        context = info.context
        merchant_id, archived = context.merchant_id, bool(include_archived)
        # Only the columns the nodes' fields show (the others NULL): a page's own rows,
        # never a loader's.
        columns = columns_of("material", node_selection(info).keys())
        result = await context.read_driver(
            lambda unit: materials_page(
                unit,
                merchant_id,
                request.keyset,
                search=search,
                include_archived=archived,
                columns=columns,
            )
        )

        async def counter() -> int:
            counted = materials_statement(merchant_id, search=search, include_archived=archived)
            return await context.read(lambda session: count_rows(session, counted))

        return build_connection(request, result, material_from_row, counter)

    @secured(CanRead)
    async def material(self, info: Info, id: strawberry.ID) -> Material | None:
        pk = parse_id(id, TYPE_NAME)
        return None if pk is None else await load_material(info, pk)
