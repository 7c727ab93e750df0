# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Queries of the contract, through schema.execute: shapes, decimals, nodes, filters."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
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


async def test_locations_hide_archived_unless_asked_and_location_stocks_filter(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    old = await seed.location(sessions, MERCHANT_A, "Old")
    await gql.data(
        "mutation($id: ID!) { locationArchive(id: $id) { location { id } } }",
        {"id": global_id("Location", old)},
    )
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    cake, _ = await seed.item(sessions, MERCHANT_A, "Cake")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "1", threshold="5")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.PRODUCT, cake, "9")

    data = await gql.data(
        """query($id: ID!) {
          active: locations { nodes { name archived } }
          all: locations(includeArchived: true) { totalCount }
          location(id: $id) {
            name
            materials: stocks(itemType: MATERIAL) { nodes { itemType } }
            low: stocks(lowStockOnly: true) { totalCount }
            all: stocks { totalCount }
          }
        }""",
        {"id": global_id("Location", bar)},
    )

    assert data["active"]["nodes"] == [{"name": "Bar", "archived": False}]
    assert data["all"]["totalCount"] == 2
    assert data["location"]["materials"]["nodes"] == [{"itemType": "MATERIAL"}]
    assert data["location"]["low"]["totalCount"] == 1
    assert data["location"]["all"]["totalCount"] == 2


async def test_inventory_items_search_lookup_by_id_and_variant_and_their_stocks(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    store = await seed.location(sessions, MERCHANT_A, "Store")
    cake, variant = await seed.item(sessions, MERCHANT_A, "Cheese cake")
    await seed.item(sessions, MERCHANT_A, "Coffee")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.PRODUCT, cake, "2")
    await seed.stock(sessions, MERCHANT_A, store, ItemType.PRODUCT, cake, "5")

    data = await gql.data(
        """query($id: ID, $v: ID, $loc: ID) {
          found: inventoryItems(search: "CHEESE") { nodes { name } }
          pct: inventoryItems(search: "%") { totalCount }
          byId: inventoryItem(id: $id) { name stocks { onHand } atBar: stocks(locationId: $loc) { onHand } }
          byVariant: inventoryItem(productVariantId: $v) { id }
        }""",
        {
            "id": global_id("InventoryItem", cake),
            "v": str(variant),
            "loc": global_id("Location", bar),
        },
    )
    neither = await gql("{ inventoryItem { id } }")

    assert data["found"]["nodes"] == [{"name": "Cheese cake"}]
    assert data["pct"]["totalCount"] == 0
    assert data["byId"]["stocks"] == [{"onHand": "2"}, {"onHand": "5"}]
    assert data["byId"]["atBar"] == [{"onHand": "2"}]
    assert data["byVariant"] == {"id": global_id("InventoryItem", cake)}
    assert neither.errors is not None


async def test_materials_material_and_its_stocks(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    milk = await seed.material(sessions, MERCHANT_A, "Milk", "ml")
    await seed.material(sessions, MERCHANT_A, "Sugar")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, milk, "1000")

    data = await gql.data(
        """query($id: ID!) {
          materials(search: "mil") { nodes { name unit } }
          material(id: $id) { name stocks { onHand location { name } } }
        }""",
        {"id": global_id("Material", milk)},
    )

    assert data["materials"]["nodes"] == [{"name": "Milk", "unit": "ml"}]
    assert data["material"] == {
        "name": "Milk",
        "stocks": [{"onHand": "1000", "location": {"name": "Bar"}}],
    }


async def test_stock_movements_filters_and_stock_movements_connection(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    store = await seed.location(sessions, MERCHANT_A, "Store")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    at_bar = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "4")
    await seed.stock(sessions, MERCHANT_A, store, ItemType.MATERIAL, flour, "6")
    stock_gid = global_id("Stock", at_bar)
    await gql.data(
        """mutation($s: ID!) { stockWaste(input: {stock: {stockId: $s}, quantity: "1", reason: "x"}) {
             userErrors { code } } }""",
        {"s": stock_gid},
    )

    data = await gql.data(
        """query($s: ID!, $loc: ID!) {
          all: stockMovements { totalCount }
          atBar: stockMovements(locationId: $loc) { totalCount }
          waste: stockMovements(type: WASTE) { nodes { type referenceType deltaOnHand stock { id } } }
          manual: stockMovements(referenceType: MANUAL, since: "2000-01-01T00:00:00Z") { totalCount }
          future: stockMovements(since: "2999-01-01T00:00:00+02:00") { totalCount }
          stock(id: $s) { onHand movements(last: 1) { nodes { type onHandAfter reservedAfter } } }
        }""",
        {"s": stock_gid, "loc": global_id("Location", bar)},
    )

    assert data["all"]["totalCount"] == 3
    assert data["atBar"]["totalCount"] == 2
    assert data["waste"]["nodes"] == [
        {
            "type": "WASTE",
            "referenceType": "MANUAL",
            "deltaOnHand": "-1",
            "stock": {"id": stock_gid},
        }
    ]
    assert data["manual"]["totalCount"] == 3
    assert data["future"]["totalCount"] == 0
    assert data["stock"] == {
        "onHand": "3",
        "movements": {"nodes": [{"type": "WASTE", "onHandAfter": "3", "reservedAfter": "0"}]},
    }


async def test_vendors_search(sessions: async_sessionmaker[AsyncSession], gql: Gql) -> None:
    await seed.vendor(sessions, MERCHANT_A, "Mill & Co")
    await seed.vendor(sessions, MERCHANT_A, "Dairy")

    data = await gql.data('{ vendors(search: "mill") { totalCount nodes { name archived } } }')

    assert data["vendors"] == {"totalCount": 1, "nodes": [{"name": "Mill & Co", "archived": False}]}


async def test_ledger_check_lists_stocks_whose_ledger_does_not_add_up(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    sugar = await seed.material(sessions, MERCHANT_A, "Sugar")
    await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "4")
    broken = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, sugar, "2")
    async with sessions.begin() as session:
        await session.execute(update(t.stock).where(t.stock.c.id == broken).values(on_hand=7))

    data = await gql.data(
        """{ ledgerCheck { stocksChecked checkedAt
             discrepancies { ledgerOnHand ledgerReserved stock { id onHand } } } }"""
    )

    check = data["ledgerCheck"]
    assert check["stocksChecked"] == 2
    assert check["discrepancies"] == [
        {
            "ledgerOnHand": "2",
            "ledgerReserved": "0",
            "stock": {"id": global_id("Stock", broken), "onHand": "7"},
        }
    ]


async def test_node_finds_every_kind_of_object_by_global_id(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    cake, _ = await seed.item(sessions, MERCHANT_A, "Cake")
    vendor = await seed.vendor(sessions, MERCHANT_A, "Mill")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "3")
    movement = (await gql.data("{ stockMovements { nodes { id } } }"))["stockMovements"]["nodes"][
        0
    ]["id"]
    ids = {
        "Location": global_id("Location", bar),
        "Material": global_id("Material", flour),
        "InventoryItem": global_id("InventoryItem", cake),
        "Vendor": global_id("Vendor", vendor),
        "Stock": global_id("Stock", stock_id),
        "StockMovement": movement,
    }

    found = {}
    for type_name, node_id in ids.items():
        data = await gql.data(
            "query($id: ID!) { node(id: $id) { __typename id } }", {"id": node_id}
        )
        found[type_name] = data["node"]
    garbage = await gql.data('{ a: node(id: "x") { id } b: node(id: "Rm9vOjE=") { id } }')

    assert found == {name: {"__typename": name, "id": node_id} for name, node_id in ids.items()}
    assert garbage == {"a": None, "b": None}
