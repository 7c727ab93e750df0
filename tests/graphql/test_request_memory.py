"""What a request builds (its context, loaders and the rows they hold) goes with it: a
page of items with their availability, recipes and stocks, asked again and again, leaves
nothing behind (a module-level batcher keyed by the request once kept every one)."""

from __future__ import annotations

import gc
import weakref

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ITEMS = """query($l: ID!) { inventoryItems(first: 10) { nodes { name
  availableToSell(locationId: $l) recipe { quantity material { name } }
  stocks { onHand } } } }"""
STOCKS = """query { stocks(first: 10) { nodes { onHand item { __typename }
  location { name } } } }"""


async def test_requests_leave_no_context_behind(
    gql: Gql, schema: strawberry.Schema, sessions: async_sessionmaker[AsyncSession]
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    cake, _ = await seed.item(sessions, MERCHANT_A, "Cake")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.PRODUCT, cake, "4")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "9")
    location = global_id("Location", bar)

    contexts = []
    for query, variables in ((ITEMS, {"l": location}), (STOCKS, None)) * 3:
        context = gql.context()
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        contexts.append(weakref.ref(context))
        del context, result
    gc.collect()

    assert [ref() for ref in contexts] == [None] * len(contexts)
