"""Subscription.availabilityChanged: a product's availableToSell at a location changed.

The values are derived once per stock event by the realtime consumer
(`app/realtime/availability.py`) and arrive on the merchant's availability channel;
here they are only filtered (location, items) and shaped. The location is read
once, when the subscription starts; each message carries its inventory item, so
a change costs no query. An unknown location, or another merchant's, yields
nothing, like `stockChanged`'s filters.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import strawberry

from app.realtime.availability_events import AVAILABILITY, AvailabilityEvent, ItemSnapshot
from graphql_schema.context import Info
from graphql_schema.ids import filter_id, global_id, parse_id
from graphql_schema.items.types import TYPE_NAME as ITEM_TYPE
from graphql_schema.items.types import InventoryItem
from graphql_schema.locations.types import TYPE_NAME as LOCATION_TYPE
from graphql_schema.locations.types import Location, load_location
from graphql_schema.subscriptions.resolvers import hub_events, readable_subscription
from graphql_schema.subscriptions.shared import share_results
from graphql_schema.subscriptions.socket import SocketContext


@strawberry.type
class AvailabilityChange:
    inventory_item: InventoryItem
    location: Location
    available_to_sell: Decimal | None = strawberry.field(
        description="As InventoryItem.availableToSell after the change; null: unlimited."
    )
    sold_out: bool = strawberry.field(description="availableToSell is not null and below one unit.")
    occurred_at: datetime


@dataclass(frozen=True)
class ItemFilter:
    item_ids: frozenset[uuid.UUID] | None  # None: every item

    def accepts(self, event: AvailabilityEvent) -> bool:
        return self.item_ids is None or event.item.id in self.item_ids


def item_filter(values: list[strawberry.ID] | None) -> ItemFilter:
    """Given ids that name no inventory item match nothing (not everything)."""
    if values is None:
        return ItemFilter(None)
    return ItemFilter(frozenset(pk for v in values if (pk := parse_id(v, ITEM_TYPE)) is not None))


def item_of(snapshot: ItemSnapshot) -> InventoryItem:
    return InventoryItem(
        id=strawberry.ID(global_id(ITEM_TYPE, snapshot.id)),
        uuid=strawberry.ID(str(snapshot.id)),
        pk=snapshot.id,
        product_variant_id=strawberry.ID(str(snapshot.product_variant_id)),
        sku=snapshot.sku,
        name=snapshot.name,
        track_inventory=snapshot.track_inventory,
        unit=snapshot.unit,
        archived=snapshot.archived,
        created_at=snapshot.created_at,
        updated_at=snapshot.updated_at,
    )


def availability_change(event: AvailabilityEvent, location: Location) -> AvailabilityChange:
    """One object per event, whichever subscriber asks, so their executions can be shared
    (every subscriber offered the event watches its location)."""
    change: AvailabilityChange | None = event.views.get("AvailabilityChange")
    if change is None:
        change = event.views["AvailabilityChange"] = share_results(
            AvailabilityChange(
                inventory_item=item_of(event.item),
                location=location,
                available_to_sell=event.available_to_sell,
                sold_out=event.sold_out,
                occurred_at=event.occurred_at,
            )
        )
    return change


async def _location_once(info: Info, location_pk: uuid.UUID) -> Location | None:
    """Read the location, then give the read connection back before waiting for events."""
    context = info.context
    try:
        return await load_location(info, location_pk)
    finally:
        if isinstance(context, SocketContext):
            await context.release()
        else:
            await context.close()


@strawberry.type
class AvailabilitySubscription:
    @readable_subscription
    async def availability_changed(
        self,
        info: Info,
        location_id: strawberry.ID,
        inventory_item_ids: list[strawberry.ID] | None = None,
    ) -> AsyncGenerator[AvailabilityChange, None]:
        location_pk = filter_id(location_id, LOCATION_TYPE)
        assert location_pk is not None, "a given id filters"
        location = await _location_once(info, location_pk)
        wanted = item_filter(inventory_item_ids)
        events = hub_events(info, AVAILABILITY, "availabilityChanged", location_pk, wanted.accepts)
        # aclosing: a dropped socket leaves the hub now, not when the collector gets to it.
        async with contextlib.aclosing(events):
            async for event in events:
                if location is not None:
                    yield availability_change(event, location)
