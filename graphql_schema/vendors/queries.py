"""Vendor queries."""

from __future__ import annotations

import strawberry

from app.db import tables as t
from app.db.queries.vendors import vendors_statement
from graphql_schema.context import Info
from graphql_schema.permissions import CanRead, secured
from graphql_schema.relay import Connection, keyset_connection, page_request
from graphql_schema.vendors.types import TYPE_NAME, Vendor, vendor_from_row


@strawberry.type
class VendorQueries:
    @secured(CanRead)
    async def vendors(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        search: str | None = None,
    ) -> Connection[Vendor]:
        request = page_request(TYPE_NAME, first, after, last, before, limits=info.context.limits)
        statement = vendors_statement(info.context.merchant_id, search=search)
        return await keyset_connection(
            info.context, request, statement, t.vendor.c.id, vendor_from_row
        )
