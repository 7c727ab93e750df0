"""Realistic sales of the demo café, as the sale service would publish them.

Each sale is one PAYMENT_SUCCESS with 1 to 3 distinct products (now and then two of
one, coffees sometimes with a modifier), then, for each item the kitchen makes,
kitchen ticket status changes over the next seconds: PENDING → PREPARING →
READY → SERVED, or a CANCELLED after PENDING or PREPARING. Both topics are keyed
by saleOrderId, as the contract says, so one order's events stay in order.
"""

from __future__ import annotations

import heapq
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.dev_catalog import DEMO_MERCHANT_ID, MODIFIERS, PRODUCTS, DemoProduct
from app.domain.enums import KitchenStatus
from app.kafka import topics

# How often each product is ordered, relative to the others.
POPULARITY = {
    "espresso": 2,
    "cappuccino": 4,
    "latte": 3,
    "mocha": 1,
    "cold-brew": 2,
    "croissant": 3,
    "water": 1,
}
MODIFIER_CHANCE = 0.3
DOUBLE_CHANCE = 0.15
CANCEL_CHANCE = 0.08
_MODIFIER_IDS = {modifier.key: modifier.option_id for modifier in MODIFIERS}


@dataclass(frozen=True, order=True)
class Scheduled:
    due: float
    seq: int
    topic: str = field(compare=False)
    key: str = field(compare=False)
    value: dict[str, Any] = field(compare=False)


@dataclass
class Tally:
    sales: int = 0
    items: int = 0
    with_modifiers: int = 0
    kitchen_updates: int = 0
    cancelled: int = 0

    def count_sent(self, event: Scheduled) -> None:
        if event.topic == topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED:
            self.kitchen_updates += 1
            self.cancelled += event.value["status"] == KitchenStatus.CANCELLED


class SalesScenario:
    """Makes sales at times given by the caller; their kitchen updates wait in `pending`."""

    def __init__(
        self,
        locations: list[uuid.UUID],
        *,
        rng: random.Random,
        kitchen_seconds: float = 6.0,
        epoch: datetime | None = None,
    ) -> None:
        if not locations:
            raise ValueError("at least one location")
        self.locations = locations
        self.rng = rng
        self.kitchen_seconds = kitchen_seconds
        self.pending: list[Scheduled] = []
        self.tally = Tally()
        self._seq = 0
        # Loop time 0 is this wall-clock time: occurredAt follows the schedule.
        self._epoch = epoch or datetime.now(UTC)

    def sale(self, at: float) -> Scheduled:
        """A PAYMENT_SUCCESS at loop time `at`; its kitchen updates are queued in `pending`."""
        order_id = str(uuid.uuid4())
        location = str(self._location())
        products = self._products()
        items = [self._item(product) for product in products]
        payment = {
            **self._header("PAYMENT_SUCCESS", at, location, order_id),
            "paymentId": f"pay_sim_{uuid.uuid4().hex[:12]}",
            "items": items,
        }
        ticket_id = str(uuid.uuid4())
        for product, item in zip(products, items, strict=True):
            if product.made_in_kitchen:
                self._kitchen_flow(at, location, order_id, ticket_id, product, item)
        self.tally.sales += 1
        self.tally.items += len(items)
        self.tally.with_modifiers += sum(1 for item in items if item.get("modifiers"))
        return self._scheduled(at, topics.PAYMENT_SUCCESS, order_id, payment)

    def due(self, now: float) -> list[Scheduled]:
        """The kitchen updates due by `now` (all of them with `now=inf`), in time order."""
        ready: list[Scheduled] = []
        while self.pending and self.pending[0].due <= now:
            ready.append(heapq.heappop(self.pending))
        return ready

    def _location(self) -> uuid.UUID:
        # The first location (the main one) takes most of the sales.
        weights = [3] + [1] * (len(self.locations) - 1)
        return self.rng.choices(self.locations, weights=weights)[0]

    def _products(self) -> list[DemoProduct]:
        count = self.rng.choices([1, 2, 3], weights=[5, 3, 2])[0]
        chosen: list[DemoProduct] = []
        while len(chosen) < count:
            product = self.rng.choices(PRODUCTS, weights=[POPULARITY[p.key] for p in PRODUCTS])[0]
            if product not in chosen:
                chosen.append(product)
        return chosen

    def _item(self, product: DemoProduct) -> dict[str, Any]:
        quantity = "2" if self.rng.random() < DOUBLE_CHANCE else "1"
        item: dict[str, Any] = {
            "saleOrderItemId": str(uuid.uuid4()),
            "productVariantId": str(product.variant_id),
            "quantity": quantity,
        }
        if product.modifiers and self.rng.random() < MODIFIER_CHANCE:
            modifier = self.rng.choice(product.modifiers)
            item["modifiers"] = [
                {"modifierOptionId": str(_MODIFIER_IDS[modifier]), "quantity": "1"}
            ]
        return item

    def _kitchen_flow(
        self,
        at: float,
        location: str,
        order_id: str,
        ticket_id: str,
        product: DemoProduct,
        item: dict[str, Any],
    ) -> None:
        statuses = [KitchenStatus.PENDING, KitchenStatus.PREPARING]
        statuses += [KitchenStatus.READY, KitchenStatus.SERVED]
        if self.rng.random() < CANCEL_CHANCE:
            statuses = [*statuses[: self.rng.choice([1, 2])], KitchenStatus.CANCELLED]
        ticket_item_id = str(uuid.uuid4())
        step = self.kitchen_seconds / 4
        previous: KitchenStatus | None = None
        when = at
        for status in statuses:
            when += step * self.rng.uniform(0.5, 1.5) if previous else 0.1
            event = {
                **self._header("KITCHEN_TICKET_ITEM_STATUS_CHANGED", when, location, order_id),
                "saleOrderItemId": item["saleOrderItemId"],
                "kitchenTicketId": ticket_id,
                "kitchenTicketItemId": ticket_item_id,
                "productVariantId": str(product.variant_id),
                "quantity": item["quantity"],
                "status": status.value,
                "previousStatus": previous.value if previous else None,
            }
            previous = status
            topic = topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED
            heapq.heappush(self.pending, self._scheduled(when, topic, order_id, event))

    def _header(self, kind: str, at: float, location: str, order_id: str) -> dict[str, Any]:
        occurred = self._epoch + timedelta(seconds=at)
        return {
            "eventId": str(uuid.uuid4()),
            "eventType": kind,
            "occurredAt": occurred.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "merchantId": str(DEMO_MERCHANT_ID),
            "locationId": location,
            "saleOrderId": order_id,
        }

    def _scheduled(self, at: float, topic: str, key: str, value: dict[str, Any]) -> Scheduled:
        self._seq += 1
        return Scheduled(at, self._seq, topic, key, value)
