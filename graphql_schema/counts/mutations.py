"""Count session mutations (stock.adjust): start, record, apply, cancel."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.enums import CountScope
from app.domain.enums import ItemType as DomainItemType
from app.services import count_entries, count_sessions
from graphql_schema.context import Info
from graphql_schema.counts.types import TYPE_NAME, CountSession, load_count_session
from graphql_schema.enums import ItemType
from graphql_schema.errors import UserError
from graphql_schema.ids import NO_ROW, parse_item_id
from graphql_schema.loaders import forget
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanAdjustStock, secured
from graphql_schema.stocks.mutations import StockRef


@strawberry.input
class CountSessionInput:
    location_id: strawberry.ID
    scope: CountScope
    name: str | None = None
    counted_at: datetime | None = None
    item_type: ItemType | None = None
    item_ids: list[strawberry.ID] | None = None


@strawberry.input
class CountEntryInput:
    stock: StockRef
    quantity: Decimal
    area: str | None = None
    unit: str | None = None


@strawberry.type
class CountSessionPayload:
    count_session: CountSession | None
    user_errors: list[UserError]


def _item(value: str) -> tuple[DomainItemType, uuid.UUID]:
    """An inventory item or material id; anything else names no row (NOT_FOUND)."""
    return parse_item_id(value) or (DomainItemType.PRODUCT, NO_ROW)


async def _read_back(info: Info, session_id: uuid.UUID) -> CountSession | None:
    forget(info.context.loaders.count_session, session_id)
    return await load_count_session(info, session_id)


@strawberry.type
class CountMutations:
    @secured(CanAdjustStock)
    async def count_session_start(
        self, info: Info, input: CountSessionInput, idempotency_key: str | None = None
    ) -> CountSessionPayload:
        given = count_sessions.CountSessionInput(
            location_id=input_id(input.location_id, "Location"),
            scope=input.scope,
            name=input.name,
            counted_at=input.counted_at,
            item_type=input.item_type,
            items=None if input.item_ids is None else [_item(i) for i in input.item_ids],
        )
        session, errors = await mutate(
            info,
            lambda uow, actor: count_sessions.start_session(uow, actor, given, idempotency_key),
            _read_back,
        )
        return CountSessionPayload(count_session=session, user_errors=errors)

    @secured(CanAdjustStock)
    async def count_session_record(
        self, info: Info, id: strawberry.ID, entries: list[CountEntryInput]
    ) -> CountSessionPayload:
        given = [
            count_entries.CountEntryInput(e.stock.to_service(), e.quantity, e.area, e.unit)
            for e in entries
        ]
        session, errors = await mutate(
            info,
            lambda uow, actor: count_entries.record_entries(
                uow, actor, input_id(id, TYPE_NAME), given
            ),
            _read_back,
        )
        return CountSessionPayload(count_session=session, user_errors=errors)

    @secured(CanAdjustStock)
    async def count_session_apply(
        self,
        info: Info,
        id: strawberry.ID,
        uncounted_as_zero: bool | None = False,
        idempotency_key: str | None = None,
    ) -> CountSessionPayload:
        session, errors = await mutate(
            info,
            lambda uow, actor: count_sessions.apply_session(
                uow,
                actor,
                input_id(id, TYPE_NAME),
                uncounted_as_zero=bool(uncounted_as_zero),
                idempotency_key=idempotency_key,
            ),
            _read_back,
        )
        return CountSessionPayload(count_session=session, user_errors=errors)

    @secured(CanAdjustStock)
    async def count_session_cancel(self, info: Info, id: strawberry.ID) -> CountSessionPayload:
        session, errors = await mutate(
            info,
            lambda uow, actor: count_sessions.cancel_session(uow, actor, input_id(id, TYPE_NAME)),
            _read_back,
        )
        return CountSessionPayload(count_session=session, user_errors=errors)
