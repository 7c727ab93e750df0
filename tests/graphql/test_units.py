# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Units of measure over GraphQL: standard units, own units, stock writes in any unit."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from app.kafka import topics
from app.realtime.events import decode_stock_event
from graphql_schema.ids import global_id
from graphql_schema.subscriptions.types import movement_of
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ERRORS = "userErrors { field message code }"
UNITS = "units { name quantity unit factor }"
CREATE_MILK = f"""mutation($i: MaterialInput!) {{ materialCreate(input: $i) {{
    material {{ id unit {UNITS} }} {ERRORS} }} }}"""
MILK_UNITS = [
    {"name": "case", "quantity": "12", "unit": "bottle"},
    {"name": "bottle", "quantity": "750", "unit": "ml"},
]


async def _milk(gql: Gql) -> str:
    data = await gql.data(
        CREATE_MILK, {"i": {"name": "Milk", "unit": "ml", "units": list(reversed(MILK_UNITS))}}
    )
    assert data["materialCreate"]["userErrors"] == []
    material_id: str = data["materialCreate"]["material"]["id"]
    return material_id


async def _adjust(gql: Gql, variables: dict[str, Any]) -> Any:
    data = await gql.data(
        f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{
            stock {{ onHand cases: onHandIn(unit: "CASE") bottles: availableIn(unit: "bottle") grams: onHandIn(unit: "g") }}
            movement {{ deltaOnHand enteredQuantity enteredUnit }} {ERRORS} }} }}""",
        {"i": variables},
    )
    return data["stockAdjust"]


async def test_standard_units_are_the_contracts(gql: Gql) -> None:
    data = await gql.data("{ standardUnits { name dimension factor referenceUnit } }")

    units = {u["name"]: u for u in data["standardUnits"]}
    assert len(units) == 17
    assert units["oz"] == {
        "name": "oz",
        "dimension": "mass",
        "factor": "28.349523125",
        "referenceUnit": "g",
    }
    assert units["tbsp"]["factor"] == "14.78676478125"


async def test_material_created_with_chained_units_shows_their_factors(gql: Gql) -> None:
    data = await gql.data(
        CREATE_MILK, {"i": {"name": "Milk", "unit": "ml", "units": list(reversed(MILK_UNITS))}}
    )

    material = data["materialCreate"]["material"]
    assert material["units"] == [
        {"name": "bottle", "quantity": "750", "unit": "ml", "factor": "750"},
        {"name": "case", "quantity": "12", "unit": "bottle", "factor": "9000"},
    ]


async def test_a_unit_that_does_not_convert_is_unit_mismatch_naming_the_field(gql: Gql) -> None:
    created = await gql.data(
        CREATE_MILK,
        {
            "i": {
                "name": "Flour",
                "unit": "g",
                "units": [{"name": "jug", "quantity": "1", "unit": "l"}],
            }
        },
    )
    milk = await _milk(gql)
    defined = await gql.data(
        f"""mutation($m: ID!) {{ materialUnitSet(materialId: $m, input: {{name: "crate", quantity: "2", unit: "kg"}}) {{
            material {{ id }} {ERRORS} }} }}""",
        {"m": milk},
    )

    assert created["materialCreate"]["material"] is None
    assert created["materialCreate"]["userErrors"] == [
        {
            "field": ["input", "units", "0", "unit"],
            "message": "l does not convert for this item",
            "code": "UNIT_MISMATCH",
        }
    ]
    assert defined["materialUnitSet"]["userErrors"][0]["field"] == ["input", "unit"]
    assert defined["materialUnitSet"]["userErrors"][0]["code"] == "UNIT_MISMATCH"


async def test_unit_set_redefines_and_remove_refuses_a_unit_others_use(gql: Gql) -> None:
    milk = await _milk(gql)
    redefined = await gql.data(
        f"""mutation($m: ID!) {{ materialUnitSet(materialId: $m, input: {{name: "Bottle", quantity: "1000", unit: "ML"}}) {{
            material {{ {UNITS} }} {ERRORS} }} }}""",
        {"m": milk},
    )
    refused = await gql.data(
        f"""mutation($m: ID!) {{ materialUnitRemove(materialId: $m, name: "BOTTLE") {{
            material {{ id }} {ERRORS} }} }}""",
        {"m": milk},
    )
    removed = await gql.data(
        f"""mutation($m: ID!) {{ materialUnitRemove(materialId: $m, name: "Case") {{
            material {{ {UNITS} }} {ERRORS} }} }}""",
        {"m": milk},
    )

    assert redefined["materialUnitSet"]["material"]["units"] == [
        {"name": "Bottle", "quantity": "1000", "unit": "ML", "factor": "1000"},
        {"name": "case", "quantity": "12", "unit": "bottle", "factor": "12000"},
    ]
    assert refused["materialUnitRemove"]["userErrors"][0]["code"] == "INVALID"
    assert refused["materialUnitRemove"]["userErrors"][0]["field"] == ["name"]
    assert removed["materialUnitRemove"]["material"]["units"] == [
        {"name": "Bottle", "quantity": "1000", "unit": "ML", "factor": "1000"}
    ]


async def test_inventory_item_units(gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> None:
    item_id, _ = await seed.item(sessions, MERCHANT_A, "Water bottle")
    query = f"""mutation($i: ID!, $u: ItemUnitInput!) {{ inventoryItemUnitSet(inventoryItemId: $i, input: $u) {{
        inventoryItem {{ unit {UNITS} }} {ERRORS} }} }}"""
    gid = global_id("InventoryItem", item_id)

    defined = await gql.data(
        query, {"i": gid, "u": {"name": "six-pack", "quantity": "6", "unit": "pcs"}}
    )
    removed = await gql.data(
        f"""mutation($i: ID!) {{ inventoryItemUnitRemove(inventoryItemId: $i, name: "SIX-PACK") {{
            inventoryItem {{ {UNITS} }} {ERRORS} }} }}""",
        {"i": gid},
    )

    assert defined["inventoryItemUnitSet"] == {
        "inventoryItem": {
            "unit": "pcs",
            "units": [{"name": "six-pack", "quantity": "6", "unit": "pcs", "factor": "6"}],
        },
        "userErrors": [],
    }
    assert removed["inventoryItemUnitRemove"] == {"inventoryItem": {"units": []}, "userErrors": []}


async def test_adjustments_in_other_units_keep_what_was_entered(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    location = await seed.location(sessions, MERCHANT_A)
    ref = {"locationId": global_id("Location", location), "itemType": "MATERIAL", "itemId": milk}

    # Three receipts of 4 bottles are exactly one case; nothing drifts.
    first = await _adjust(gql, {"stock": ref, "delta": "4", "unit": "Bottle", "reason": "restock"})
    await _adjust(gql, {"stock": ref, "delta": "4", "unit": "bottle", "reason": "restock"})
    third = await _adjust(gql, {"stock": ref, "delta": "4", "unit": "bottle", "reason": "restock"})
    in_base = await _adjust(gql, {"stock": ref, "delta": "-1000", "reason": "spill"})
    mismatch = await _adjust(gql, {"stock": ref, "delta": "1", "unit": "kg", "reason": "x"})
    stale = await _adjust(
        gql,
        {"stock": ref, "delta": "1", "unit": "l", "reason": "x", "changeFromQuantity": "8.999"},
    )
    fresh = await _adjust(
        gql, {"stock": ref, "delta": "1", "unit": "l", "reason": "x", "changeFromQuantity": "8"}
    )

    assert first["movement"] == {
        "deltaOnHand": "3000",
        "enteredQuantity": "4",
        "enteredUnit": "bottle",
    }
    assert third["stock"] == {"onHand": "9000", "cases": "1", "bottles": "12", "grams": None}
    assert in_base["movement"] == {
        "deltaOnHand": "-1000",
        "enteredQuantity": None,
        "enteredUnit": None,
    }
    assert mismatch["userErrors"] == [
        {
            "field": ["input", "unit"],
            "message": "kg does not convert to ml for this item",
            "code": "UNIT_MISMATCH",
        }
    ]
    assert stale["userErrors"][0]["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert fresh["movement"] == {"deltaOnHand": "1000", "enteredQuantity": "1", "enteredUnit": "l"}
    assert fresh["stock"]["onHand"] == "9000"


async def test_count_waste_and_threshold_in_other_units(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    location = await seed.location(sessions, MERCHANT_A)
    ref = {"locationId": global_id("Location", location), "itemType": "MATERIAL", "itemId": milk}

    counted = await gql.data(
        f"""mutation($i: StockCountInput!) {{ stockCount(input: $i) {{
            stock {{ onHand }} movement {{ deltaOnHand enteredQuantity enteredUnit }} {ERRORS} }} }}""",
        {"i": {"stock": ref, "countedQuantity": "2.5", "unit": "case"}},
    )
    wasted = await gql.data(
        f"""mutation($i: StockWasteInput!) {{ stockWaste(input: $i) {{
            stock {{ onHand }} movement {{ deltaOnHand enteredQuantity enteredUnit }} {ERRORS} }} }}""",
        {"i": {"stock": ref, "quantity": "1", "unit": "bottle", "reason": "broken"}},
    )
    too_much = await gql.data(
        f"""mutation($i: StockWasteInput!) {{ stockWaste(input: $i) {{ stock {{ onHand }} {ERRORS} }} }}""",
        {"i": {"stock": ref, "quantity": "3", "unit": "case", "reason": "broken"}},
    )
    threshold = await gql.data(
        f"""mutation($i: StockThresholdInput!) {{ stockThresholdSet(input: $i) {{
            stock {{ lowStockThreshold lowStock }} {ERRORS} }} }}""",
        {"i": {"stock": ref, "lowStockThreshold": "2", "unit": "case"}},
    )

    assert counted["stockCount"]["movement"] == {
        "deltaOnHand": "22500",
        "enteredQuantity": "2.5",
        "enteredUnit": "case",
    }
    assert wasted["stockWaste"]["stock"] == {"onHand": "21750"}
    assert wasted["stockWaste"]["movement"]["deltaOnHand"] == "-750"
    assert too_much["stockWaste"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert threshold["stockThresholdSet"] == {
        "stock": {"lowStockThreshold": "18000", "lowStock": False},
        "userErrors": [],
    }
    async with sessions() as session:
        stored = (
            await session.execute(
                select(t.stock.c.on_hand).where(
                    t.stock.c.location_id == location, t.stock.c.item_type == ItemType.MATERIAL
                )
            )
        ).scalar_one()
    assert stored == Decimal(21750)


async def test_eggs_in_pieces_take_grams_through_a_bridge(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    eggs = await gql.data(
        CREATE_MILK,
        {
            "i": {
                "name": "Eggs",
                "unit": "pcs",
                "units": [{"name": "g", "quantity": "0.02", "unit": "pcs"}],
            }
        },
    )
    location = await seed.location(sessions, MERCHANT_A)
    ref = {
        "locationId": global_id("Location", location),
        "itemType": "MATERIAL",
        "itemId": eggs["materialCreate"]["material"]["id"],
    }

    added = await _adjust(gql, {"stock": ref, "delta": "1.5", "unit": "kg", "reason": "delivery"})

    assert added["movement"] == {"deltaOnHand": "30", "enteredQuantity": "1.5", "enteredUnit": "kg"}


async def test_recipe_lines_in_other_units_keep_what_was_entered(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    beans = await seed.material(sessions, MERCHANT_A, "Beans", "kg")
    _, variant = await seed.item(sessions, MERCHANT_A, "Latte", track=False)
    query = f"""mutation($v: ID!, $l: [RecipeLineInput!]!) {{ recipeSet(productVariantId: $v, lines: $l) {{
        inventoryItem {{ recipe {{ quantity enteredQuantity enteredUnit material {{ name }} }} }} {ERRORS} }} }}"""
    beans_id = global_id("Material", beans)

    saved = await gql.data(
        query,
        {
            "v": str(variant),
            "l": [
                {"materialId": milk, "quantity": "0.25", "unit": "Bottle"},
                {"materialId": beans_id, "quantity": "18", "unit": "g"},
            ],
        },
    )
    refused = await gql.data(
        query,
        {
            "v": str(variant),
            "l": [
                {"materialId": milk, "quantity": "1", "unit": "oz"},
                {"materialId": beans_id, "quantity": "0.0001", "unit": "mg"},
            ],
        },
    )

    assert saved["recipeSet"]["inventoryItem"]["recipe"] == [
        {
            "quantity": "187.5",
            "enteredQuantity": "0.25",
            "enteredUnit": "bottle",
            "material": {"name": "Milk"},
        },
        {
            "quantity": "0.018",
            "enteredQuantity": "18",
            "enteredUnit": "g",
            "material": {"name": "Beans"},
        },
    ]
    assert refused["recipeSet"]["userErrors"] == [
        {
            "field": ["lines", "0", "unit"],
            "message": "oz does not convert to ml for this item",
            "code": "UNIT_MISMATCH",
        },
        {
            "field": ["lines", "1", "quantity"],
            "message": "is less than the smallest quantity kept (0.000001 kg)",
            "code": "INVALID",
        },
    ]


async def test_transfer_lines_in_other_units(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    main = await seed.location(sessions, MERCHANT_A, "Main")
    kiosk = await seed.location(sessions, MERCHANT_A, "Kiosk")
    main_ref = {"locationId": global_id("Location", main), "itemType": "MATERIAL", "itemId": milk}
    await _adjust(gql, {"stock": main_ref, "delta": "2", "unit": "case", "reason": "delivery"})
    query = f"""mutation($i: TransferInput!) {{ materialTransfer(input: $i) {{
        transfer {{ lines {{ quantity enteredQuantity enteredUnit }} }} {ERRORS} }} }}"""
    ends = {
        "fromLocationId": global_id("Location", main),
        "toLocationId": global_id("Location", kiosk),
    }

    moved = await gql.data(
        query, {"i": {**ends, "lines": [{"materialId": milk, "quantity": "1.5", "unit": "case"}]}}
    )
    short = await gql.data(
        query, {"i": {**ends, "lines": [{"materialId": milk, "quantity": "1", "unit": "case"}]}}
    )
    mismatch = await gql.data(
        query, {"i": {**ends, "lines": [{"materialId": milk, "quantity": "1", "unit": "lb"}]}}
    )
    movements = await gql.data(
        """query($l: ID!) { stockMovements(first: 5, locationId: $l, type: TRANSFER_IN) {
            nodes { deltaOnHand enteredQuantity enteredUnit } } }""",
        {"l": global_id("Location", kiosk)},
    )

    assert moved["materialTransfer"] == {
        "transfer": {
            "lines": [{"quantity": "13500", "enteredQuantity": "1.5", "enteredUnit": "case"}]
        },
        "userErrors": [],
    }
    assert short["materialTransfer"]["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert mismatch["materialTransfer"]["userErrors"][0]["field"] == ["input", "lines", "0", "unit"]
    assert movements["stockMovements"]["nodes"] == [
        {"deltaOnHand": "13500", "enteredQuantity": "1.5", "enteredUnit": "case"}
    ]


async def test_redefining_a_unit_changes_later_conversions_only(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    location = await seed.location(sessions, MERCHANT_A)
    _, variant = await seed.item(sessions, MERCHANT_A, "Latte", track=False)
    ref = {"locationId": global_id("Location", location), "itemType": "MATERIAL", "itemId": milk}
    await gql.data(
        """mutation($v: ID!, $l: [RecipeLineInput!]!) { recipeSet(productVariantId: $v, lines: $l) { userErrors { code } } }""",
        {"v": str(variant), "l": [{"materialId": milk, "quantity": "0.25", "unit": "bottle"}]},
    )
    before = await _adjust(gql, {"stock": ref, "delta": "1", "unit": "bottle", "reason": "in"})

    await gql.data(
        """mutation($m: ID!) { materialUnitSet(materialId: $m, input: {name: "bottle", quantity: "1", unit: "l"}) { userErrors { code } } }""",
        {"m": milk},
    )
    after = await _adjust(gql, {"stock": ref, "delta": "1", "unit": "bottle", "reason": "in"})
    recipe = await gql.data(
        """query($v: ID!) { inventoryItem(productVariantId: $v) { recipe { quantity enteredQuantity enteredUnit } } }""",
        {"v": str(variant)},
    )

    assert before["movement"]["deltaOnHand"] == "750"
    assert after["movement"]["deltaOnHand"] == "1000"
    assert after["stock"]["onHand"] == "1750"
    assert recipe["inventoryItem"]["recipe"] == [
        {"quantity": "187.5", "enteredQuantity": "0.25", "enteredUnit": "bottle"}
    ]


async def test_stock_events_carry_what_was_entered_to_subscribers(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    location = await seed.location(sessions, MERCHANT_A)
    ref = {"locationId": global_id("Location", location), "itemType": "MATERIAL", "itemId": milk}

    await _adjust(gql, {"stock": ref, "delta": "2", "unit": "Case", "reason": "delivery"})
    await _adjust(gql, {"stock": ref, "delta": "-100", "reason": "spill"})

    async with sessions() as session:
        payloads = (
            (
                await session.execute(
                    select(t.outbox_event.c.payload)
                    .where(t.outbox_event.c.topic == topics.INVENTORY_STOCK_CHANGED)
                    .order_by(t.outbox_event.c.seq)
                )
            )
            .scalars()
            .all()
        )
    movements = [movement_of(decode_stock_event(json.dumps(p))) for p in payloads]
    assert payloads[0]["movement"]["enteredQuantity"] == "2"
    assert "enteredQuantity" not in payloads[1]["movement"]
    assert [(m.delta_on_hand, m.entered_quantity, m.entered_unit) for m in movements] == [
        (Decimal(18000), Decimal(2), "case"),
        (Decimal(-100), None, None),
    ]


async def test_units_read_undecoded_answer_as_defined_on_every_path(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # The stocks page's join and the material loader read `units` as JSON text, decoded
    # only when a unit is asked (app/db/queries/_lookup.units_as_text).
    milk = await _milk(gql)
    location = await seed.location(sessions, MERCHANT_A)
    ref = {"locationId": global_id("Location", location), "itemType": "MATERIAL", "itemId": milk}
    await _adjust(gql, {"stock": ref, "delta": "12", "unit": "case", "reason": "restock"})
    expected = [
        {"name": "bottle", "quantity": "750", "unit": "ml", "factor": "750"},
        {"name": "case", "quantity": "12", "unit": "bottle", "factor": "9000"},
    ]

    page = await gql.data(
        f"""{{ stocks(first: 10) {{ nodes {{ cases: onHandIn(unit: "case")
            item {{ ... on Material {{ {UNITS} }} }} }} }} }}"""
    )
    loaded = await gql.data(f"""query($m: ID!) {{ material(id: $m) {{ {UNITS} }} }}""", {"m": milk})

    assert page["stocks"]["nodes"] == [{"cases": "12", "item": {"units": expected}}]
    assert loaded["material"] == {"units": expected}
