"""Queries of the contract, through schema.execute: shapes, decimals, nodes, filters."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

STOCKS = """
query($first: Int, $after: String, $loc: ID, $low: Boolean) {
  stocks(first: $first, after: $after, locationId: $loc, lowStockOnly: $low) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id } }
    nodes {
      id itemType onHand reserved available incoming lowStockThreshold lowStock version updatedAt
      location { id name isDefault }
      item {
        __typename
        ... on InventoryItem { id name productVariantId trackInventory }
        ... on Material { id name unit }
      }
    }
  }
}
"""


async def test_stocks_list_with_items_locations_and_decimal_strings(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    loc = await seed.location(sessions, MERCHANT_A, "Bar", is_default=True)
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    cake, variant = await seed.item(sessions, MERCHANT_A, "Cake")
    s1 = await seed.stock(
        sessions, MERCHANT_A, loc, ItemType.MATERIAL, flour, "12.500", threshold="20"
    )
    s2 = await seed.stock(sessions, MERCHANT_A, loc, ItemType.PRODUCT, cake, "3")

    data = await gql.data(STOCKS)

    page = data["stocks"]
    assert page["totalCount"] == 2
    assert [n["id"] for n in page["nodes"]] == [global_id("Stock", s1), global_id("Stock", s2)]
    flour_stock, cake_stock = page["nodes"]
    assert flour_stock["onHand"] == "12.5"
    assert flour_stock["available"] == "12.5"
    assert flour_stock["incoming"] == "0"
    assert flour_stock["lowStockThreshold"] == "20"
    assert flour_stock["lowStock"] is True
    assert flour_stock["item"] == {
        "__typename": "Material",
        "id": global_id("Material", flour),
        "name": "Flour",
        "unit": "g",
    }
    assert cake_stock["item"]["__typename"] == "InventoryItem"
    assert cake_stock["item"]["productVariantId"] == str(variant)
    assert cake_stock["location"] == {
        "id": global_id("Location", loc),
        "name": "Bar",
        "isDefault": True,
    }
    assert cake_stock["lowStock"] is False
    assert cake_stock["updatedAt"].endswith("Z")
