"""`availabilityChanged`, derived on the realtime path from `inventory.stock-changed`
and the internal `inventory.availability-inputs-changed`.

Where it runs: in the realtime consumer, as a handler after the stock one
(`RealtimeConsumer.add_handler`), so an event is derived once by the instance that
read it and the result goes to the merchant's AVAILABILITY channel, which every
instance's hub receives, exactly as stock events do.

How: a stock change can move the availableToSell of its own product, or of every
product whose item recipe uses the material (modifier recipes don't limit a
product). One aggregate query (`affected_products`) gives their inputs now, and
the current value is compared with the value last published for that product at
that location; only differences are sent. Comparing with what was last sent,
rather than with "the event's value before", matters: one payment reserves all of
a recipe's materials at once, one event per material, and when two materials limit
a latte equally neither event alone changes it (each "before" already sees the
other's new value), so the drop would never be sent. For a product never published
yet, the value before is the current inputs without the event's batch (the moves
of the same reference at the same instant), so the first change is judged right
too and nothing is sent for a product whose count did not change.

What was last published lives:
- with `memory://` (every process consumes every event for its own hub), in the
  process (`ProcessAvailability`);
- with a shared broadcast (one consumer group: an event is read by one instance,
  the next event of the same location maybe by another), in
  `published_availability`, read and written under a per-location advisory lock,
  and published before that transaction commits, so a failed publish is retried
  (`SharedAvailability`).

Without stock moving, a product's availableToSell changes when its item recipe is
replaced or its tracking turned on or off, and may differ from what was last sent
when it is unarchived (nothing is derived for an archived product). The service that
makes such a change stages an internal `inventory.availability-inputs-changed` event
(`app/outbox/availability_inputs_events.py`), which the same consumer reads with the
same group rules: `inputs_changed` re-derives that product at every location of the
merchant with the same statement (`product_everywhere`), compares with the same
stores and publishes only differences. For a product never published, the value
before is judged from the inputs the event says it replaced (the old recipe's lines
read against the stock now, the old tracking), so a recipe edit that leaves the count
as it was sends nothing. With a shared broadcast it takes every location's lock of
the merchant, in location id order (a stock derivation holds one lock, so none waits
in a cycle).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import tables as t
from app.db.queries.affected_products import (
    AffectedProduct,
    InputsBefore,
    Published,
    StockChangeRef,
    affected_products,
    product_everywhere,
)
from app.db.queries.availability import AvailabilityInputs
from app.db.unit_of_work import UnitOfWork
from app.domain.availability import available_to_sell
from app.outbox.availability_inputs_events import AvailabilityInputsChanged
from app.realtime.availability_events import (
    AVAILABILITY,
    AvailabilityEvent,
    ItemSnapshot,
    Messages,
)
from app.realtime.events import StockEvent
from app.realtime.hub import RealtimeHub

log = logging.getLogger(__name__)

Sessions = UnitOfWork
EventHandler = Callable[[StockEvent, str], Awaitable[None]]

# (Product, location) pairs remembered per process (memory://); past it the oldest is forgotten
# and judged again from its event's batch, like a product never published.
PROCESS_MEMORY_LIMIT = 200_000
# Messages published between two turns of the event loop (see `publish_all`).
PUBLISH_RUN = 50
LOCK_PREFIX = "availability"

ProductAt = tuple[tuple[uuid.UUID, uuid.UUID], uuid.UUID]  # ((merchant, location), item)
Located = tuple[uuid.UUID, "Outcome"]  # (location id, outcome there)


@dataclass(frozen=True)
class Outcome:
    product: AffectedProduct
    value: Published  # to remember
    publish: bool


def value_of(inputs: AvailabilityInputs) -> Decimal | None:
    return available_to_sell(
        tracked=inputs.tracked, stock_available=inputs.stock_available, recipe=inputs.recipe
    )


def judge(product: AffectedProduct, last: Published | None) -> Outcome | None:
    """What to remember and whether to publish; None when nothing changed."""
    now = value_of(product.now)
    if last is None:
        before = value_of(product.before)
        return Outcome(product, Published(now, 1), publish=before != now)
    if last.available_to_sell == now:
        return None
    return Outcome(product, Published(now, last.version + 1), publish=True)


def stock_change_ref(event: StockEvent) -> StockChangeRef:
    return StockChangeRef(
        location_id=event.location_id,
        item_type=event.item_type,
        item_id=event.item_id,
        reference_type=event.movement.reference_type,
        reference_id=event.movement.reference_id,
        occurred_at=event.occurred_at,
    )


def snapshot(row: Any) -> ItemSnapshot:
    return ItemSnapshot(
        id=row.id,
        product_variant_id=row.product_variant_id,
        sku=row.sku,
        name=row.name,
        track_inventory=row.track_inventory,
        unit=row.unit,
        archived=row.archived,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def publish_all(
    hub: RealtimeHub,
    merchant_id: uuid.UUID,
    location_id: uuid.UUID,
    occurred_at: datetime,
    outcomes: Iterable[Outcome],
) -> None:
    """Publish the outcomes to publish, in order (one message each, as the contract sends
    one AvailabilityChange per message), then let the hub's readers run for a moment
    every PUBLISH_RUN messages: with an in-process backend a publish never waits, so the
    first message would otherwise reach its socket only after the last was derived."""
    messages = Messages(merchant_id, location_id, occurred_at)
    sent = 0
    for outcome in outcomes:
        if not outcome.publish:
            continue
        change = AvailabilityEvent(
            merchant_id=merchant_id,
            location_id=location_id,
            item=snapshot(outcome.product.item),
            available_to_sell=outcome.value.available_to_sell,
            version=outcome.value.version,
            occurred_at=occurred_at,
        )
        await hub.publish(AVAILABILITY, merchant_id, messages.encode_own(change))
        sent += 1
        if sent % PUBLISH_RUN == 1:
            await asyncio.sleep(0)


async def publish_located(
    hub: RealtimeHub, merchant_id: uuid.UUID, occurred_at: datetime, located: Iterable[Located]
) -> None:
    """`publish_all` of outcomes at several locations (one product's, so one each)."""
    for location_id, outcome in located:
        await publish_all(hub, merchant_id, location_id, occurred_at, (outcome,))


def inputs_before(change: AvailabilityInputsChanged) -> InputsBefore:
    return InputsBefore(tracked=change.tracked_before, recipe=change.recipe_before)


class ProcessAvailability:
    """memory://: this process sees every event, so it remembers what it published."""

    def __init__(self, hub: RealtimeHub, sessions: Sessions) -> None:
        self._hub = hub
        self._reads = sessions.read_sessions()
        self._published: dict[ProductAt, Published] = {}

    async def __call__(self, event: StockEvent, _message: str) -> None:
        async with self._reads() as session:
            products = await affected_products(
                session, event.merchant_id, stock_change_ref(event), with_published=False
            )
        place = (event.merchant_id, event.location_id)
        published = self._published
        outcomes = [
            o
            for product in products
            if (o := judge(product, published.get((place, product.item.id)))) is not None
        ]
        await publish_all(
            self._hub, event.merchant_id, event.location_id, event.occurred_at, outcomes
        )
        # Remembered only once all are sent: a failed publish is derived again on retry
        # (what was sent before it is then judged unchanged, or sent again: the hub drops
        # a version it has seen).
        for outcome in outcomes:
            self._remember((place, outcome.product.item.id), outcome.value)

    async def inputs_changed(self, change: AvailabilityInputsChanged) -> None:
        async with self._reads() as session:
            located = await product_everywhere(
                session,
                change.merchant_id,
                change.inventory_item_id,
                inputs_before(change),
                with_published=False,
            )
        merchant_id, published = change.merchant_id, self._published
        outcomes = [
            (location_id, o)
            for location_id, product in located
            if (o := judge(product, published.get(((merchant_id, location_id), product.item.id))))
            is not None
        ]
        await publish_located(self._hub, merchant_id, change.occurred_at, outcomes)
        for location_id, outcome in outcomes:
            self._remember(((merchant_id, location_id), outcome.product.item.id), outcome.value)

    def _remember(self, key: ProductAt, value: Published) -> None:
        self._published.pop(key, None)
        self._published[key] = value
        if len(self._published) > PROCESS_MEMORY_LIMIT:
            del self._published[next(iter(self._published))]


class SharedAvailability:
    """A shared broadcast: instances share one consumer group and `published_availability`."""

    def __init__(self, hub: RealtimeHub, sessions: Sessions) -> None:
        self._hub = hub
        self._sessions = sessions

    async def __call__(self, event: StockEvent, _message: str) -> None:
        async with self._sessions.begin() as session:
            # Serializes the location's derivations across instances: each reads what the
            # previous one published, and its own read sees every stock committed before.
            key = lock_key(event.merchant_id, event.location_id)
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
            products = await affected_products(
                session, event.merchant_id, stock_change_ref(event), with_published=True
            )
            outcomes = [o for p in products if (o := judge(p, p.published)) is not None]
            if not outcomes:
                return
            await _remember(session, event.merchant_id, ((event.location_id, o) for o in outcomes))
            await publish_all(
                self._hub, event.merchant_id, event.location_id, event.occurred_at, outcomes
            )

    async def inputs_changed(self, change: AvailabilityInputsChanged) -> None:
        async with self._sessions.begin() as session:
            await lock_every_location(session, change.merchant_id)
            located = await product_everywhere(
                session,
                change.merchant_id,
                change.inventory_item_id,
                inputs_before(change),
                with_published=True,
            )
            outcomes = [
                (location_id, o)
                for location_id, p in located
                if (o := judge(p, p.published)) is not None
            ]
            if not outcomes:
                return
            await _remember(session, change.merchant_id, outcomes)
            await publish_located(self._hub, change.merchant_id, change.occurred_at, outcomes)


def lock_key(merchant_id: uuid.UUID, location_id: uuid.UUID) -> str:
    """The advisory lock of a location's derivations (hashed with hashtextextended)."""
    return f"{LOCK_PREFIX}:{merchant_id}:{location_id}"


async def lock_every_location(session: AsyncSession, merchant_id: uuid.UUID) -> None:
    """`lock_key` of each of the merchant's locations, taken in location id order."""
    location = t.location
    ids = (
        select(location.c.id)
        .where(location.c.merchant_id == merchant_id)
        .order_by(location.c.id)
        .subquery("ids")
    )
    # `lock_key` in SQL: a uuid's text is Python's str() of it (lowercase, hyphens).
    key = literal(f"{LOCK_PREFIX}:{merchant_id}:") + cast(ids.c.id, String)
    locks = func.count(func.pg_advisory_xact_lock(func.hashtextextended(key, 0)))
    await session.execute(select(locks).select_from(ids))


async def _remember(
    session: AsyncSession, merchant_id: uuid.UUID, located: Iterable[Located]
) -> None:
    state = t.published_availability
    insert = pg_insert(state).values(
        [
            {
                "merchant_id": merchant_id,
                "location_id": location_id,
                "inventory_item_id": o.product.item.id,
                "available_to_sell": o.value.available_to_sell,
                "version": o.value.version,
            }
            for location_id, o in located
        ]
    )
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=[state.c.merchant_id, state.c.location_id, state.c.inventory_item_id],
            set_={
                "available_to_sell": insert.excluded.available_to_sell,
                "version": insert.excluded.version,
                "updated_at": func.now(),
            },
        )
    )


def availability_handler(
    shared: bool, hub: RealtimeHub, sessions: Sessions
) -> ProcessAvailability | SharedAvailability:
    """The derivation for the realtime consumer: shared state with a shared broadcast. Call
    it with stock events; `inputs_changed` with availability-inputs-changed events."""
    return SharedAvailability(hub, sessions) if shared else ProcessAvailability(hub, sessions)
