"""The Subscription root: stock changes and low-stock crossings of the caller's merchant.

Each subscription listens on its merchant's channel only (the merchant of the
token, never an argument), so a location or item id of another merchant simply
never matches: the subscription stays open and yields nothing, like an unknown
id. Filters are applied in the hub before anything is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import strawberry

from app.metrics import track_subscription
from app.realtime.events import StockEvent
from app.realtime.hub import RealtimeHub, RealtimeUnavailable
from app.realtime.streams import LOW_STOCK, STOCK, E, Stream
from app.realtime.subscriber import SubscriberClosed, SubscriberOverflow
from graphql_schema.context import Context, Info
from graphql_schema.errors import UNAVAILABLE, ClientError
from graphql_schema.ids import decode_global_id, filter_id, parse_external_id
from graphql_schema.items.types import TYPE_NAME as ITEM_TYPE
from graphql_schema.locations.types import TYPE_NAME as LOCATION_TYPE
from graphql_schema.materials.types import TYPE_NAME as MATERIAL_TYPE
from graphql_schema.permissions import CanRead
from graphql_schema.stocks.types import Stock
from graphql_schema.subscriptions.socket import SUBSCRIBER_TOO_SLOW, SocketContext
from graphql_schema.subscriptions.types import StockChange, stock_as_of, stock_change

SUBSCRIBER_TOO_SLOW_CODE = "SUBSCRIBER_TOO_SLOW"


@dataclass(frozen=True)
class StockFilter:
    location_id: uuid.UUID | None
    item_ids: frozenset[uuid.UUID] | None  # None: every item

    def accepts(self, event: StockEvent) -> bool:
        return self.item_ids is None or event.item_id in self.item_ids


def item_pk(value: str) -> uuid.UUID | None:
    """An inventory item's or a material's id (global or bare UUID); None names nothing."""
    decoded = decode_global_id(value)
    if decoded is not None:
        type_name, pk = decoded
        return pk if type_name in (ITEM_TYPE, MATERIAL_TYPE) else None
    return parse_external_id(value)


def stock_filter(location_id: str | None, item_ids: list[strawberry.ID] | None) -> StockFilter:
    """Given filters that name nothing match nothing (not everything)."""
    items = None
    if item_ids is not None:
        items = frozenset(pk for value in item_ids if (pk := item_pk(value)) is not None)
    return StockFilter(filter_id(location_id, LOCATION_TYPE), items)


def hub_of(context: Context) -> RealtimeHub:
    request = context.request
    runtime = getattr(request.app.state, "runtime", None) if request is not None else None
    realtime = getattr(runtime, "realtime", None)
    if realtime is None:
        raise ClientError("realtime events are not available", UNAVAILABLE)
    hub: RealtimeHub = realtime.hub
    return hub


def stock_events(
    info: Info,
    name: str,
    location_id: uuid.UUID | None,
    accepts: Callable[[StockEvent], bool],
) -> AsyncGenerator[StockEvent, None]:
    """The merchant's stock events that pass the filters, newest state per stock first."""
    return hub_events(info, STOCK, name, location_id, accepts)


async def hub_events(
    info: Info,
    stream: Stream[E],
    name: str,
    location_id: uuid.UUID | None,
    accepts: Callable[[E], bool],
) -> AsyncGenerator[E, None]:
    """The merchant's events of `stream` that pass the filters, newest state per key first."""
    context = info.context
    merchant_id = context.merchant_id
    hub = hub_of(context)
    socket = context.socket if isinstance(context, SocketContext) else None

    def fell_behind() -> None:
        if socket is not None:
            socket.close_soon(*SUBSCRIBER_TOO_SLOW)

    with track_subscription(name):
        try:
            async with hub.subscribe(
                stream,
                merchant_id,
                location_id=location_id,
                accepts=accepts,
                on_overflow=fell_behind,
            ) as subscriber:
                while True:
                    try:
                        event = await subscriber.get()
                    except SubscriberClosed:
                        return
                    except SubscriberOverflow:
                        if socket is None:
                            raise ClientError(
                                SUBSCRIBER_TOO_SLOW[1], SUBSCRIBER_TOO_SLOW_CODE
                            ) from None
                        # The socket is closing with SUBSCRIBER_TOO_SLOW: sending "complete"
                        # now would tell the client it is over. Wait to be cancelled.
                        await asyncio.Event().wait()
                    yield event
                    # Resumed once the event was resolved and sent: nothing of it is kept
                    # while the subscription waits (possibly hours) for the next one.
                    if isinstance(context, SocketContext):
                        await context.release()
        except RealtimeUnavailable as exc:
            raise ClientError(f"realtime events are not available: {exc}", UNAVAILABLE) from None


F = TypeVar("F", bound=Callable[..., Any])


def readable_subscription(resolver: F) -> F:
    """A subscription field that needs inventory:read (typed, so resolvers stay checked)."""
    return cast(F, strawberry.subscription(resolver, permission_classes=[CanRead]))


def _every(_event: object) -> bool:
    return True


@strawberry.type
class Subscription:
    @readable_subscription
    async def stock_changed(
        self,
        info: Info,
        location_id: strawberry.ID | None = None,
        item_ids: list[strawberry.ID] | None = None,
    ) -> AsyncGenerator[StockChange, None]:
        wanted = stock_filter(location_id, item_ids)
        events = stock_events(info, "stockChanged", wanted.location_id, wanted.accepts)
        # aclosing: a dropped socket leaves the hub now, not when the collector gets to it.
        async with contextlib.aclosing(events):
            async for event in events:
                yield stock_change(event)

    @readable_subscription
    async def low_stock(
        self, info: Info, location_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Stock, None]:
        # By a movement or by a threshold change (app/realtime/low_stock.py).
        events = hub_events(
            info, LOW_STOCK, "lowStock", filter_id(location_id, LOCATION_TYPE), _every
        )
        async with contextlib.aclosing(events):
            async for event in events:
                yield stock_as_of(event)
