"""Vendor: who purchase orders are placed with."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from sqlalchemy import Row

from graphql_schema.context import Info
from graphql_schema.ids import global_id
from graphql_schema.relay import Node

TYPE_NAME = "Vendor"


@strawberry.type
class Vendor(Node):
    pk: strawberry.Private[uuid.UUID]
    name: str
    tax_id: str | None
    email: str | None
    phone: str | None
    address: str | None
    archived: bool


def vendor_from_row(row: Row[Any]) -> Vendor:
    return Vendor(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        uuid=strawberry.ID(str(row.id)),
        pk=row.id,
        name=row.name,
        tax_id=row.tax_id,
        email=row.email,
        phone=row.phone,
        address=row.address,
        archived=row.archived,
    )


async def load_vendor(info: Info, pk: uuid.UUID) -> Vendor | None:
    row = await info.context.loaders.vendor.load(pk)
    return None if row is None else vendor_from_row(row)
