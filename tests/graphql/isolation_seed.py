# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Merchant B's units, prep item, production, count session and sale, for the cross-merchant
table (tests/graphql/test_isolation.py in process, tests/reliability/test_cross_merchant.py
over HTTP): each seeder says how it runs B's mutations."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from app.domain.sale import PaymentSucceeded, SaleItem
from app.services.sales import apply_payment
from graphql_schema.ids import global_id
from tests.graphql import seed

# B's mutation: (document, variables) -> its payload, which had no userErrors.
Mutate = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

# The own units B defines: a case of A's asking for them by name must find nothing.
MATERIAL_UNIT = "bag"
ITEM_UNIT = "box"


@dataclass(frozen=True)
class KitchenObjects:
    prep_material: str  # global id of B's prep item (with a prep recipe)
    production: str
    count_session: str  # OPEN, with one entry
    sale_order: str  # commerce's id of a paid sale order of B's, 2 of `item` on it
    raw_ids: list[str]


async def kitchen_objects(
    sessions: async_sessionmaker[AsyncSession],
    merchant: uuid.UUID,
    mutate: Mutate,
    *,
    prefix: str,
    bar: uuid.UUID,
    store: uuid.UUID,
    flour: uuid.UUID,
    item: uuid.UUID,
    variant: uuid.UUID,
    flour_stock: uuid.UUID,
) -> KitchenObjects:
    """At B's store, where flour is in stock: units on the flour and the cake, a sauce made
    from the flour and a batch of it, an open count; at B's bar, a paid sale of 2 cakes
    (tracked) and a coffee (untracked: an unmapped sale)."""
    flour_id, sauce = (
        global_id("Material", flour),
        await seed.material(sessions, merchant, f"{prefix}sauce"),
    )
    sauce_id = global_id("Material", sauce)
    await mutate(
        'mutation($m: ID!, $n: String!) { materialUnitSet(materialId: $m, input: {name: $n, quantity: "25", unit: "kg"}) { userErrors { code } } }',
        {"m": flour_id, "n": MATERIAL_UNIT},
    )
    await mutate(
        'mutation($i: ID!, $n: String!) { inventoryItemUnitSet(inventoryItemId: $i, input: {name: $n, quantity: "6", unit: "pcs"}) { userErrors { code } } }',
        {"i": global_id("InventoryItem", item), "n": ITEM_UNIT},
    )
    await mutate(
        'mutation($m: ID!, $f: ID!) { materialPrepRecipeSet(materialId: $m, input: {yieldQuantity: "100", lines: [{materialId: $f, quantity: "10"}]}) { userErrors { code } } }',
        {"m": sauce_id, "f": flour_id},
    )
    production = await mutate(
        'mutation($l: ID!, $m: ID!) { productionRecord(input: {locationId: $l, materialId: $m, quantityProduced: "100"}) { production { id uuid } userErrors { code } } }',
        {"l": global_id("Location", store), "m": sauce_id},
    )
    count = await mutate(
        "mutation($l: ID!, $f: ID!) { countSessionStart(input: {locationId: $l, scope: PARTIAL, itemIds: [$f]}) { countSession { id uuid } userErrors { code } } }",
        {"l": global_id("Location", store), "f": flour_id},
    )
    count_id = count["countSession"]["id"]
    await mutate(
        'mutation($id: ID!, $s: ID!) { countSessionRecord(id: $id, entries: [{stock: {stockId: $s}, quantity: "30"}]) { userErrors { code } } }',
        {"id": count_id, "s": global_id("Stock", flour_stock)},
    )
    _, coffee = await seed.item(sessions, merchant, f"{prefix}coffee", track=False)
    await seed.stock(sessions, merchant, bar, ItemType.PRODUCT, item, "10")
    order = uuid.uuid4()
    await apply_payment(
        sessions,
        PaymentSucceeded(
            event_id=uuid.uuid4(),
            merchant_id=merchant,
            location_id=bar,
            sale_order_id=order,
            items=(
                SaleItem(uuid.uuid4(), variant, Decimal(2)),
                SaleItem(uuid.uuid4(), coffee, Decimal(1)),
            ),
            occurred_at=datetime.now(UTC),
        ),
    )
    return KitchenObjects(
        prep_material=sauce_id,
        production=production["production"]["id"],
        count_session=count_id,
        sale_order=str(order),
        raw_ids=[
            str(sauce),
            production["production"]["uuid"],
            count["countSession"]["uuid"],
            str(order),
            str(coffee),
        ],
    )
