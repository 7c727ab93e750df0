"""A café for the availability tests: materials, items and recipes through the services'
own tables, stock through the ledger, and the stock events those moves staged; recipe and
item changes through their services, and the availability-inputs events they staged."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models import Location
from app.domain.enums import RecipeOwner
from app.kafka import topics
from app.outbox.availability_inputs_events import (
    AvailabilityInputsChanged,
    decode_availability_inputs_changed,
)
from app.realtime.availability_events import AVAILABILITY, AvailabilityEvent
from app.realtime.events import StockEvent, decode_stock_event
from app.realtime.hub import RealtimeHub
from app.realtime.subscriber import Subscriber
from app.services import recipes
from app.services.context import Actor
from app.services.inventory_items import ProductVariantUpsert, ensure_inventory_item
from tests.services.sales_builders import Shop, a_material, an_item, set_recipe

Sessions = async_sessionmaker[AsyncSession]
D = Decimal


async def staged_stock_events(sessions: Sessions) -> list[tuple[StockEvent, str]]:
    """The unsent inventory.stock-changed rows, in commit order, now marked sent."""
    outbox = t.outbox_event
    async with sessions.begin() as session:
        rows = (
            await session.execute(
                select(outbox.c.seq, outbox.c.payload)
                .where(outbox.c.topic == topics.INVENTORY_STOCK_CHANGED, outbox.c.sent_at.is_(None))
                .order_by(outbox.c.seq)
            )
        ).all()
        await session.execute(
            update(outbox).where(outbox.c.sent_at.is_(None)).values(sent_at=outbox.c.created_at)
        )
    messages = [json.dumps(row.payload) for row in rows]
    return [(decode_stock_event(m), m) for m in messages]


@contextlib.asynccontextmanager
async def memory_hub() -> AsyncIterator[RealtimeHub]:
    hub = RealtimeHub.from_url("memory://")
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


async def received(
    subscriber: Subscriber[AvailabilityEvent], within: float = 0.3
) -> list[AvailabilityEvent]:
    """Everything the subscriber gets until nothing more comes for `within` seconds."""
    events: list[AvailabilityEvent] = []
    with contextlib.suppress(TimeoutError):
        while True:
            events.append(await asyncio.wait_for(subscriber.get(), within))
    return events


def values(events: list[AvailabilityEvent]) -> list[tuple[str, Decimal | None, bool]]:
    return [(e.item.name, e.available_to_sell, e.sold_out) for e in events]


def availability_of(
    hub: RealtimeHub, shop: Shop
) -> contextlib.AbstractAsyncContextManager[Subscriber[AvailabilityEvent]]:
    """A subscription to the shop's availability stream at its location."""
    return hub.subscribe(AVAILABILITY, shop.merchant_id, location_id=shop.location_id)


async def material(sessions: Sessions, shop: Shop, on_hand: str, unit: str = "g") -> uuid.UUID:
    return await a_material(sessions, shop, on_hand, unit=unit)


async def product(
    sessions: Sessions,
    shop: Shop,
    name: str,
    recipe: dict[uuid.UUID, str] | None = None,
    *,
    tracked: bool = False,
    on_hand: str = "0",
) -> tuple[uuid.UUID, uuid.UUID]:
    """(inventory item id, product variant id) of a named item with its item recipe."""
    item_id, variant_id = await an_item(sessions, shop, tracked=tracked, on_hand=on_hand)
    async with sessions.begin() as session:
        await session.execute(
            update(t.inventory_item).where(t.inventory_item.c.id == item_id).values(name=name)
        )
    if recipe:
        await set_recipe(sessions, shop, RecipeOwner.PRODUCT_VARIANT, variant_id, recipe)
    return item_id, variant_id


async def another_location(sessions: Sessions, shop: Shop) -> Shop:
    async with sessions.begin() as session:
        location = Location(merchant_id=shop.merchant_id, name="Kitchen", is_default=False)
        session.add(location)
    return Shop(shop.merchant_id, location.id)


async def staged_inputs_changes(sessions: Sessions) -> list[AvailabilityInputsChanged]:
    """The unsent inventory.availability-inputs-changed rows, in commit order; every unsent
    row is now marked sent."""
    outbox = t.outbox_event
    async with sessions.begin() as session:
        rows = (
            await session.execute(
                select(outbox.c.payload)
                .where(
                    outbox.c.topic == topics.AVAILABILITY_INPUTS_CHANGED,
                    outbox.c.sent_at.is_(None),
                )
                .order_by(outbox.c.seq)
            )
        ).all()
        await session.execute(
            update(outbox).where(outbox.c.sent_at.is_(None)).values(sent_at=outbox.c.created_at)
        )
    return [decode_availability_inputs_changed(json.dumps(row.payload)) for row in rows]


async def recipe_set(
    sessions: Sessions, shop: Shop, variant_id: uuid.UUID, lines: dict[uuid.UUID, str]
) -> None:
    """The recipe service (recipeSet's), so its event is staged."""
    await recipes.set_recipe(
        sessions,
        Actor(shop.merchant_id, "manager"),
        product_variant_id=variant_id,
        lines=[recipes.RecipeLineInput(m, Decimal(q)) for m, q in lines.items()],
    )


async def variant_update(
    sessions: Sessions,
    shop: Shop,
    variant_id: uuid.UUID,
    *,
    tracked: bool | None = None,
    archived: bool | None = None,
    name: str | None = None,
) -> None:
    """The item service behind PUT /v1 and the CDC."""
    upsert = ProductVariantUpsert(
        shop.merchant_id, variant_id, track_inventory=tracked, archived=archived, name=name
    )
    await ensure_inventory_item(sessions, upsert, actor=Actor(shop.merchant_id, "commerce"))
