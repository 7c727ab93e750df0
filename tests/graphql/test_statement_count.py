"""A page of stocks with items (both kinds), locations and incoming costs a constant
number of SQL statements: the page query joins locations, items and incoming, and the
dataloaders batch every other relation of the page."""

from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import tables as t
from app.db.models.base import uuid7
from app.domain.enums import ItemType
from tests.graphql.conftest import MERCHANT_A, Gql
from tests.graphql.statements import counted_statements

PAGE = """{ stocks(first: 100) { nodes {
  id onHand available incoming lowStock
  location { name }
  item { __typename ... on InventoryItem { name sku } ... on Material { name unit } }
} } }"""


async def _stocks(sessions: async_sessionmaker[AsyncSession], n: int) -> None:
    """n stocks over 2 locations, half products and half materials."""
    locations = [{"id": uuid7(), "merchant_id": MERCHANT_A, "name": f"L{i}"} for i in range(2)]
    items = [
        {
            "id": uuid7(),
            "merchant_id": MERCHANT_A,
            "product_variant_id": uuid.uuid4(),
            "name": f"i{i}",
            "unit": "pcs",
        }
        for i in range(n // 2)
    ]
    materials = [
        {"id": uuid7(), "merchant_id": MERCHANT_A, "name": f"m{i}", "unit": "g"}
        for i in range(n - n // 2)
    ]
    stocks = [
        {
            "id": uuid7(),
            "merchant_id": MERCHANT_A,
            "location_id": locations[i % 2]["id"],
            "item_type": ItemType.PRODUCT,
            "version": 0,
            "inventory_item_id": item["id"],
            "material_id": None,
        }
        for i, item in enumerate(items)
    ] + [
        {
            "id": uuid7(),
            "merchant_id": MERCHANT_A,
            "location_id": locations[i % 2]["id"],
            "item_type": ItemType.MATERIAL,
            "version": 0,
            "inventory_item_id": None,
            "material_id": material["id"],
        }
        for i, material in enumerate(materials)
    ]
    async with sessions.begin() as session:
        await session.execute(insert(t.location), locations)
        await session.execute(insert(t.inventory_item), items)
        await session.execute(insert(t.material), materials)
        await session.execute(insert(t.stock), stocks)


async def _count_for(
    n: int, sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, gql: Gql
) -> tuple[int, int]:
    await _stocks(sessions, n)
    with counted_statements(engine) as statements:
        data = await gql.data(PAGE)
    return len(data["stocks"]["nodes"]), len(statements)


async def test_ten_and_a_hundred_stocks_cost_the_same_few_statements(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, gql: Gql
) -> None:
    rows_10, statements_10 = await _count_for(10, sessions, engine, gql)
    async with sessions.begin() as session:
        for table in (t.stock, t.inventory_item, t.material, t.location):
            await session.execute(table.delete())
    rows_100, statements_100 = await _count_for(100, sessions, engine, gql)

    assert (rows_10, rows_100) == (10, 100)
    # the page with its locations, items and incoming joined (stocks/page.py)
    assert statements_10 == statements_100 == 1
