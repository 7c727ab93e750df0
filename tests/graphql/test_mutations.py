# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Every mutation of the contract: the happy path, its userErrors, idempotency keys."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ERRORS = "userErrors { field message code }"


async def _mutate(gql: Gql, name: str, query: str, variables: dict[str, Any]) -> Any:
    data = await gql.data(query, variables)
    return data[name]


async def test_location_create_update_archive(gql: Gql) -> None:
    created = await _mutate(
        gql,
        "locationCreate",
        f"""mutation($i: LocationInput!) {{ locationCreate(input: $i) {{
              location {{ id name code address isDefault archived }} {ERRORS} }} }}""",
        {"i": {"name": " Kitchen ", "code": "K1", "address": "Main st"}},
    )
    location_id = created["location"]["id"]
    updated = await _mutate(
        gql,
        "locationUpdate",
        f"""mutation($id: ID!) {{ locationUpdate(id: $id, input: {{name: "Back kitchen"}}) {{
              location {{ name code }} {ERRORS} }} }}""",
        {"id": location_id},
    )
    archived = await _mutate(
        gql,
        "locationArchive",
        f"mutation($id: ID!) {{ locationArchive(id: $id) {{ location {{ archived }} {ERRORS} }} }}",
        {"id": location_id},
    )

    assert created["userErrors"] == []
    assert created["location"]["name"] == "Kitchen"
    assert created["location"]["isDefault"] is False
    assert updated == {"location": {"name": "Back kitchen", "code": "K1"}, "userErrors": []}
    assert archived == {"location": {"archived": True}, "userErrors": []}


async def test_location_errors_are_user_errors_with_field_paths(gql: Gql) -> None:
    query = f"""mutation($i: LocationInput!) {{ locationCreate(input: $i) {{
                  location {{ id }} {ERRORS} }} }}"""
    await _mutate(gql, "locationCreate", query, {"i": {"name": "A", "code": "K1"}})

    duplicate = await _mutate(gql, "locationCreate", query, {"i": {"name": "B", "code": "K1"}})
    blank = await _mutate(gql, "locationCreate", query, {"i": {"name": "  "}})
    unknown = await _mutate(
        gql,
        "locationArchive",
        f'mutation {{ locationArchive(id: "nope") {{ location {{ id }} {ERRORS} }} }}',
        {},
    )

    assert duplicate == {
        "location": None,
        "userErrors": [
            {"field": ["input", "code"], "message": "this code is in use", "code": "DUPLICATE"}
        ],
    }
    assert blank["userErrors"][0]["field"] == ["input", "name"]
    assert blank["userErrors"][0]["code"] == "REQUIRED"
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"


async def test_location_create_with_an_idempotency_key_creates_once(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    query = f"""mutation($i: LocationInput!, $k: String) {{
                  locationCreate(input: $i, idempotencyKey: $k) {{ location {{ id }} {ERRORS} }} }}"""

    first = await _mutate(gql, "locationCreate", query, {"i": {"name": "A"}, "k": "key-1"})
    again = await _mutate(gql, "locationCreate", query, {"i": {"name": "A"}, "k": "key-1"})
    other = await _mutate(gql, "locationCreate", query, {"i": {"name": "B"}, "k": "key-1"})

    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(t.location))).scalar_one()
    assert again == first
    assert other["location"] is None
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_MISMATCH"
    assert other["userErrors"][0]["field"] == ["idempotencyKey"]
    assert count == 1


async def test_material_create_update_archive_and_decimal_threshold(gql: Gql) -> None:
    created = await _mutate(
        gql,
        "materialCreate",
        f"""mutation {{ materialCreate(input: {{name: "Milk", unit: "ml", lowStockThreshold: "500.0"}}) {{
              material {{ id name unit sku archived averageUnitCost }} {ERRORS} }} }}""",
        {},
    )
    material_id = created["material"]["id"]
    updated = await _mutate(
        gql,
        "materialUpdate",
        f"""mutation($id: ID!) {{ materialUpdate(id: $id, input: {{sku: "MLK"}}) {{
              material {{ sku }} {ERRORS} }} }}""",
        {"id": material_id},
    )
    archived = await _mutate(
        gql,
        "materialArchive",
        f"mutation($id: ID!) {{ materialArchive(id: $id) {{ material {{ archived }} {ERRORS} }} }}",
        {"id": material_id},
    )
    invalid = await _mutate(
        gql,
        "materialCreate",
        f"""mutation {{ materialCreate(input: {{name: "", unit: "g", lowStockThreshold: "-1"}}) {{
              material {{ id }} {ERRORS} }} }}""",
        {},
    )

    assert created["userErrors"] == []
    assert created["material"]["unit"] == "ml"
    assert created["material"]["averageUnitCost"] is None
    assert updated == {"material": {"sku": "MLK"}, "userErrors": []}
    assert archived == {"material": {"archived": True}, "userErrors": []}
    assert invalid["material"] is None
    assert {tuple(e["field"]) for e in invalid["userErrors"]} >= {("input", "name")}


async def test_recipe_set_and_modifier_recipe_set(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    beans = await seed.material(sessions, MERCHANT_A, "Beans")
    _, variant = await seed.item(sessions, MERCHANT_A, "Espresso")
    option = uuid.uuid4()
    lines = [{"materialId": global_id("Material", beans), "quantity": "18.5"}]

    recipe = await _mutate(
        gql,
        "recipeSet",
        f"""mutation($v: ID!, $l: [RecipeLineInput!]!) {{ recipeSet(productVariantId: $v, lines: $l) {{
              inventoryItem {{ name recipe {{ quantity material {{ name }} }} }} {ERRORS} }} }}""",
        {"v": str(variant), "l": lines},
    )
    modifier = await _mutate(
        gql,
        "modifierRecipeSet",
        f"""mutation($o: ID!, $l: [RecipeLineInput!]!) {{ modifierRecipeSet(modifierOptionId: $o, lines: $l) {{
              modifierRecipe {{ modifierOptionId lines {{ quantity material {{ name }} }} }} {ERRORS} }} }}""",
        {"o": str(option), "l": lines},
    )
    read = await gql.data(
        "query($o: ID!) { modifierRecipe(modifierOptionId: $o) { lines { quantity } updatedAt } }",
        {"o": str(option)},
    )
    unknown = await _mutate(
        gql,
        "recipeSet",
        f"""mutation($v: ID!, $l: [RecipeLineInput!]!) {{ recipeSet(productVariantId: $v, lines: $l) {{
              inventoryItem {{ id }} {ERRORS} }} }}""",
        {"v": str(uuid.uuid4()), "l": [{"materialId": "nope", "quantity": "0"}]},
    )

    assert recipe == {
        "inventoryItem": {
            "name": "Espresso",
            "recipe": [{"quantity": "18.5", "material": {"name": "Beans"}}],
        },
        "userErrors": [],
    }
    assert modifier["modifierRecipe"]["modifierOptionId"] == str(option)
    assert modifier["modifierRecipe"]["lines"] == [
        {"quantity": "18.5", "material": {"name": "Beans"}}
    ]
    assert read["modifierRecipe"]["lines"] == [{"quantity": "18.5"}]
    assert {(tuple(e["field"]), e["code"]) for e in unknown["userErrors"]} >= {
        (("productVariantId",), "NOT_FOUND"),
        (("lines", "0", "materialId"), "NOT_FOUND"),
        (("lines", "0", "quantity"), "INVALID"),
    }


STOCK_PAYLOAD = f"""stock {{ id onHand reserved available version lowStockThreshold }}
    movement {{ type referenceType deltaOnHand onHandAfter reason actor }} {ERRORS}"""


async def test_stock_adjust_count_waste_and_threshold(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    loc = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    ref = {
        "locationId": global_id("Location", loc),
        "itemType": "MATERIAL",
        "itemId": global_id("Material", flour),
    }

    adjusted = await _mutate(
        gql,
        "stockAdjust",
        f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{ {STOCK_PAYLOAD} }} }}""",
        {"i": {"stock": ref, "delta": "10.250", "reason": "restock"}},
    )
    by_id = {"stockId": adjusted["stock"]["id"]}
    counted = await _mutate(
        gql,
        "stockCount",
        f"""mutation($i: StockCountInput!) {{ stockCount(input: $i) {{ {STOCK_PAYLOAD} }} }}""",
        {"i": {"stock": by_id, "countedQuantity": "8"}},
    )
    wasted = await _mutate(
        gql,
        "stockWaste",
        f"""mutation($i: StockWasteInput!) {{ stockWaste(input: $i) {{ {STOCK_PAYLOAD} }} }}""",
        {"i": {"stock": by_id, "quantity": "0.5", "reason": "spilled"}},
    )
    threshold = await _mutate(
        gql,
        "stockThresholdSet",
        f"""mutation($i: StockThresholdInput!) {{ stockThresholdSet(input: $i) {{
              stock {{ lowStockThreshold lowStock }} {ERRORS} }} }}""",
        {"i": {"stock": by_id, "lowStockThreshold": "10"}},
    )

    assert adjusted["userErrors"] == []
    assert adjusted["stock"]["onHand"] == "10.25"
    assert adjusted["movement"] == {
        "type": "ADJUSTMENT",
        "referenceType": "MANUAL",
        "deltaOnHand": "10.25",
        "onHandAfter": "10.25",
        "reason": "restock",
        "actor": "user:tester",
    }
    assert counted["stock"]["onHand"] == "8"
    assert counted["movement"]["type"] == "COUNT"
    assert counted["movement"]["deltaOnHand"] == "-2.25"
    assert wasted["stock"]["available"] == "7.5"
    assert wasted["movement"]["type"] == "WASTE"
    assert threshold == {"stock": {"lowStockThreshold": "10", "lowStock": True}, "userErrors": []}


async def test_stock_adjust_refuses_below_zero_and_stale_compare_and_set(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    loc = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, loc, ItemType.MATERIAL, flour, "2")
    query = f"""mutation($i: StockAdjustInput!, $k: String) {{
                  stockAdjust(input: $i, idempotencyKey: $k) {{ {STOCK_PAYLOAD} }} }}"""
    ref = {"stockId": global_id("Stock", stock_id)}

    short = await _mutate(
        gql, "stockAdjust", query, {"i": {"stock": ref, "delta": "-5", "reason": "x"}}
    )
    stale = await _mutate(
        gql,
        "stockAdjust",
        query,
        {"i": {"stock": ref, "delta": "1", "reason": "x", "changeFromQuantity": "7"}},
    )
    first = await _mutate(
        gql, "stockAdjust", query, {"i": {"stock": ref, "delta": "1", "reason": "x"}, "k": "k1"}
    )
    replay = await _mutate(
        gql, "stockAdjust", query, {"i": {"stock": ref, "delta": "1.0", "reason": "x"}, "k": "k1"}
    )

    assert short["stock"] is None
    assert short["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert first["stock"]["onHand"] == "3"
    assert replay["stock"]["onHand"] == "3"
    assert replay["movement"] == first["movement"]


async def test_vendor_and_purchase_order_create_receive_cancel(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    loc = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    await seed.stock(sessions, MERCHANT_A, loc, ItemType.MATERIAL, flour, "0")
    vendor = await _mutate(
        gql,
        "vendorCreate",
        f"""mutation {{ vendorCreate(input: {{name: "Mill", email: "mill@example.com"}}) {{
              vendor {{ id name email archived }} {ERRORS} }} }}""",
        {},
    )
    order_input = {
        "locationId": global_id("Location", loc),
        "vendorId": vendor["vendor"]["id"],
        "currency": "EUR",
        "lines": [
            {
                "itemType": "MATERIAL",
                "itemId": global_id("Material", flour),
                "quantityOrdered": "25",
                "unitCost": "1.20",
            }
        ],
    }
    order_fields = f"""purchaseOrder {{ id number status currency receivedAt vendorSnapshot
        location {{ name }} vendor {{ name }}
        lines {{ id itemType quantityOrdered quantityReceived unitCost item {{ ... on Material {{ name }} }} }}
        payments {{ method amount reference }} }} {ERRORS}"""
    created = await _mutate(
        gql,
        "purchaseOrderCreate",
        f"""mutation($i: PurchaseOrderInput!) {{ purchaseOrderCreate(input: $i) {{ {order_fields} }} }}""",
        {"i": order_input},
    )
    order = created["purchaseOrder"]
    incoming = await gql.data("{ stocks { nodes { incoming } } }")
    received = await _mutate(
        gql,
        "purchaseOrderReceive",
        f"""mutation($id: ID!, $i: PurchaseOrderReceiveInput) {{
              purchaseOrderReceive(id: $id, input: $i) {{ {order_fields} }} }}""",
        {
            "id": order["id"],
            "i": {
                "lines": [{"lineId": order["lines"][0]["id"], "quantityReceived": "20"}],
                "payments": [{"method": "cash", "amount": "24.00", "reference": "r-1"}],
            },
        },
    )
    again = await _mutate(
        gql,
        "purchaseOrderCancel",
        f"mutation($id: ID!) {{ purchaseOrderCancel(id: $id) {{ purchaseOrder {{ status }} {ERRORS} }} }}",
        {"id": order["id"]},
    )
    on_hand = await gql.data("{ stocks { nodes { onHand incoming } } }")

    assert vendor["vendor"]["name"] == "Mill"
    assert created["userErrors"] == []
    assert order["status"] == "ORDERED"
    assert order["lines"][0]["item"] == {"name": "Flour"}
    assert order["lines"][0]["quantityReceived"] is None
    assert incoming["stocks"]["nodes"] == [{"incoming": "25"}]
    assert received["userErrors"] == []
    assert received["purchaseOrder"]["status"] == "RECEIVED"
    assert received["purchaseOrder"]["lines"][0]["quantityReceived"] == "20"
    assert received["purchaseOrder"]["payments"] == [
        {"method": "cash", "amount": "24", "reference": "r-1"}
    ]
    assert received["purchaseOrder"]["vendorSnapshot"]["name"] == "Mill"
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    assert on_hand["stocks"]["nodes"] == [{"onHand": "20", "incoming": "0"}]


async def test_purchase_order_create_reports_every_problem(gql: Gql) -> None:
    created = await _mutate(
        gql,
        "purchaseOrderCreate",
        f"""mutation($i: PurchaseOrderInput!) {{ purchaseOrderCreate(input: $i) {{
              purchaseOrder {{ id }} {ERRORS} }} }}""",
        {
            "i": {
                "locationId": "nope",
                "vendorId": global_id("Vendor", uuid.uuid4()),
                "currency": "euro",
                "lines": [
                    {"itemType": "PRODUCT", "itemId": "x", "quantityOrdered": "0", "unitCost": "1"}
                ],
            }
        },
    )

    assert created["purchaseOrder"] is None
    assert {tuple(e["field"]) for e in created["userErrors"]} >= {
        ("input", "locationId"),
        ("input", "vendorId"),
        ("input", "currency"),
    }


async def test_material_transfer(sessions: async_sessionmaker[AsyncSession], gql: Gql) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    store = await seed.location(sessions, MERCHANT_A, "Store")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    await seed.stock(sessions, MERCHANT_A, store, ItemType.MATERIAL, flour, "10")
    query = f"""mutation($i: TransferInput!, $k: String) {{ materialTransfer(input: $i, idempotencyKey: $k) {{
          transfer {{ id fromLocation {{ name }} toLocation {{ name }} lines {{ quantity material {{ name }} }} }}
          {ERRORS} }} }}"""
    transfer = {
        "fromLocationId": global_id("Location", store),
        "toLocationId": global_id("Location", bar),
        "lines": [{"materialId": global_id("Material", flour), "quantity": "4"}],
    }

    moved = await _mutate(gql, "materialTransfer", query, {"i": transfer, "k": "t-1"})
    replay = await _mutate(gql, "materialTransfer", query, {"i": transfer, "k": "t-1"})
    too_much = await _mutate(
        gql,
        "materialTransfer",
        query,
        {
            "i": {
                **transfer,
                "lines": [{"materialId": global_id("Material", flour), "quantity": "100"}],
            }
        },
    )
    listed = await gql.data("{ transfers { totalCount nodes { lines { quantity } } } }")

    assert moved["userErrors"] == []
    assert moved["transfer"]["fromLocation"] == {"name": "Store"}
    assert moved["transfer"]["lines"] == [{"quantity": "4", "material": {"name": "Flour"}}]
    assert replay == moved
    assert too_much["transfer"] is None
    assert too_much["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert listed["transfers"]["totalCount"] == 1
