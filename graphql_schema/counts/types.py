"""Count sessions, their lines (a connection) and entries, and the summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import Row

from app.db import tables as t
from app.db.queries import count_sessions as reads
from app.domain.counts import value_of
from app.domain.enums import CountScope, CountStatus
from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.ids import global_id
from graphql_schema.locations.types import Location, load_location
from graphql_schema.movements.types import StockMovement, load_movement
from graphql_schema.relay import Connection, Node, keyset_connection, page_request
from graphql_schema.stocks.types import Stock, load_stock

TYPE_NAME = "CountSession"
LINE_TYPE_NAME = "CountLine"

strawberry.enum(CountScope, name="CountScope")
strawberry.enum(CountStatus, name="CountStatus")


@strawberry.type
class CountEntry:
    area: str | None
    quantity: Decimal
    unit: str
    quantity_base: Decimal
    recorded_at: datetime
    actor: str | None


@strawberry.type
class CountLine:
    session_id: strawberry.Private[uuid.UUID]
    stock_id: strawberry.Private[uuid.UUID]
    movement_id: strawberry.Private[uuid.UUID | None]
    counted: Decimal | None
    expected: Decimal
    variance: Decimal | None
    unit_cost: Decimal | None

    @strawberry.field
    async def stock(self, info: Info) -> Stock:
        stock = await load_stock(info, self.stock_id)
        assert stock is not None, "a count line's stock belongs to its merchant"
        return stock

    @strawberry.field
    async def entries(self, info: Info) -> list[CountEntry]:
        rows = await info.context.loaders.count_entries.load((self.session_id, self.stock_id))
        return [
            CountEntry(
                area=row.area or None,
                quantity=row.quantity,
                unit=row.unit,
                quantity_base=row.quantity_base,
                recorded_at=row.recorded_at,
                actor=row.actor,
            )
            for row in rows
        ]

    @strawberry.field
    def variance_value(self) -> Decimal | None:
        return value_of(self.variance, self.unit_cost)

    @strawberry.field
    async def movement(self, info: Info) -> StockMovement | None:
        return None if self.movement_id is None else await load_movement(info, self.movement_id)


@strawberry.type
class CountSummary:
    lines_in_scope: int
    lines_counted: int
    lines_with_variance: int
    variance_value: Decimal | None


@strawberry.type
class CountSession(Node):
    pk: strawberry.Private[uuid.UUID]
    location_id: strawberry.Private[uuid.UUID]
    uuid: strawberry.ID
    name: str | None
    scope: CountScope
    item_type: ItemType | None
    status: CountStatus
    counted_at: datetime
    created_at: datetime
    applied_at: datetime | None
    actor: str | None

    @strawberry.field
    async def location(self, info: Info) -> Location:
        location = await load_location(info, self.location_id)
        assert location is not None, "a count session's location belongs to its merchant"
        return location

    def _filter(
        self, info: Info, uncounted_only: bool = False, variance_only: bool = False
    ) -> reads.LineFilter:
        return reads.LineFilter(
            info.context.merchant_id, self.pk, self.counted_at, uncounted_only, variance_only
        )

    @strawberry.field
    async def lines(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        uncounted_only: bool | None = False,
        variance_only: bool | None = False,
    ) -> Connection[CountLine]:
        request = page_request(LINE_TYPE_NAME, first, after, None, None, limits=info.context.limits)
        where = self._filter(info, bool(uncounted_only), bool(variance_only))

        def line_from_row(row: Row[Any]) -> CountLine:
            return CountLine(
                session_id=self.pk,
                stock_id=row.id,
                movement_id=row.movement_id,
                counted=row.counted,
                expected=row.expected,
                variance=row.variance,
                unit_cost=row.unit_cost,
            )

        return await keyset_connection(
            info.context,
            request,
            reads.lines_statement(where),
            t.count_line.c.stock_id,
            line_from_row,
        )

    @strawberry.field
    async def summary(self, info: Info) -> CountSummary:
        where = self._filter(info)
        found = await info.context.read(lambda session: reads.summary(session, where))
        return CountSummary(
            lines_in_scope=found.lines_in_scope,
            lines_counted=found.lines_counted,
            lines_with_variance=found.lines_with_variance,
            variance_value=found.variance_value,
        )


def session_from_row(row: Row[Any]) -> CountSession:
    return CountSession(
        id=strawberry.ID(global_id(TYPE_NAME, row.id)),
        pk=row.id,
        location_id=row.location_id,
        uuid=strawberry.ID(str(row.id)),
        name=row.name,
        scope=CountScope(row.scope),
        item_type=row.item_type,
        status=CountStatus(row.status),
        counted_at=row.counted_at,
        created_at=row.created_at,
        applied_at=row.applied_at,
        actor=row.actor,
    )


async def load_count_session(info: Info, pk: uuid.UUID) -> CountSession | None:
    row = await info.context.loaders.count_session.load(pk)
    return None if row is None else session_from_row(row)


__all__ = ["CountLine", "CountSession"]
