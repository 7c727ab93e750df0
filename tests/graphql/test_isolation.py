# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Two merchants: another merchant's id behaves exactly like an unknown id, everywhere."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Gql
from tests.graphql.isolation_seed import ITEM_UNIT, MATERIAL_UNIT, kitchen_objects
from tests.reliability.state import merchant_rows


@dataclass
class Objects:
    """Global ids of one merchant's objects, and raw ids for recipes."""

    location: str
    other_location: str
    material: str
    item: str
    variant: str
    stock: str
    movement: str
    vendor: str
    order: str
    order_line: str
    transfer: str
    modifier_option: str
    prep_material: str
    production: str
    count_session: str
    sale_order: str


async def _merchant_b_objects(sessions: async_sessionmaker[AsyncSession], gql: Gql) -> Objects:
    b = MERCHANT_B
    bar = await seed.location(sessions, b, "B bar")
    store = await seed.location(sessions, b, "B store")
    flour = await seed.material(sessions, b, "B flour")
    item, variant = await seed.item(sessions, b, "B cake")
    stock = await seed.stock(sessions, b, store, ItemType.MATERIAL, flour, "50")
    vendor = await seed.vendor(sessions, b, "B mill")
    # Below its reorder point, so B's reorderSuggestions name it.
    await gql.data(
        'mutation($s: ID!) { stockParSet(input: {stock: {stockId: $s}, parLevel: "100", reorderPoint: "60"}) { userErrors { code } } }',
        {"s": global_id("Stock", stock)},
        merchant_id=b,
    )
    option = uuid.uuid4()
    lines = [{"materialId": global_id("Material", flour), "quantity": "1"}]
    await gql.data(
        "mutation($o: ID!, $l: [RecipeLineInput!]!) { modifierRecipeSet(modifierOptionId: $o, lines: $l) { userErrors { code } } }",
        {"o": str(option), "l": lines},
        merchant_id=b,
    )
    order = await gql.data(
        """mutation($i: PurchaseOrderInput!) { purchaseOrderCreate(input: $i) {
             purchaseOrder { id lines { id } } userErrors { code } } }""",
        {
            "i": {
                "locationId": global_id("Location", bar),
                "vendorId": global_id("Vendor", vendor),
                "currency": "EUR",
                "lines": [
                    {
                        "itemType": "MATERIAL",
                        "itemId": global_id("Material", flour),
                        "quantityOrdered": "5",
                        "unitCost": "1",
                    }
                ],
            }
        },
        merchant_id=b,
    )
    transfer = await gql.data(
        """mutation($i: TransferInput!) { materialTransfer(input: $i) { transfer { id } userErrors { code } } }""",
        {
            "i": {
                "fromLocationId": global_id("Location", store),
                "toLocationId": global_id("Location", bar),
                "lines": lines,
            }
        },
        merchant_id=b,
    )
    movement = (await gql.data("{ stockMovements(first: 1) { nodes { id } } }", merchant_id=b))[
        "stockMovements"
    ]["nodes"][0]["id"]
    po = order["purchaseOrderCreate"]["purchaseOrder"]

    async def mutate(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        [payload] = (await gql.data(document, variables, merchant_id=b)).values()
        assert payload["userErrors"] == [], payload
        return dict(payload)

    kitchen = await kitchen_objects(
        sessions,
        b,
        mutate,
        prefix="B ",
        bar=bar,
        store=store,
        flour=flour,
        item=item,
        variant=variant,
        flour_stock=stock,
    )
    return Objects(
        location=global_id("Location", bar),
        other_location=global_id("Location", store),
        material=global_id("Material", flour),
        item=global_id("InventoryItem", item),
        variant=str(variant),
        stock=global_id("Stock", stock),
        movement=movement,
        vendor=global_id("Vendor", vendor),
        order=po["id"],
        order_line=po["lines"][0]["id"],
        transfer=transfer["materialTransfer"]["transfer"]["id"],
        modifier_option=str(option),
        prep_material=kitchen.prep_material,
        production=kitchen.production,
        count_session=kitchen.count_session,
        sale_order=kitchen.sale_order,
    )


def unknown_objects() -> Objects:
    """The same kinds of ids, naming nothing at all."""
    fresh = uuid.uuid4
    return Objects(
        location=global_id("Location", fresh()),
        other_location=global_id("Location", fresh()),
        material=global_id("Material", fresh()),
        item=global_id("InventoryItem", fresh()),
        variant=str(fresh()),
        stock=global_id("Stock", fresh()),
        movement=global_id("StockMovement", fresh()),
        vendor=global_id("Vendor", fresh()),
        order=global_id("PurchaseOrder", fresh()),
        order_line=global_id("PurchaseOrderLine", fresh()),
        transfer=global_id("Transfer", fresh()),
        modifier_option=str(fresh()),
        prep_material=global_id("Material", fresh()),
        production=global_id("Production", fresh()),
        count_session=global_id("CountSession", fresh()),
        sale_order=str(fresh()),
    )


def _period(location: str) -> dict[str, str]:
    """A period around now with settled days in it (they are summed on demand)."""
    now = datetime.now(UTC)
    return {
        "l": location,
        "f": (now - timedelta(days=3)).isoformat(),
        "t": (now + timedelta(days=1)).isoformat(),
    }


# (name, document, variables from the ids) — every query and mutation of the contract.
CASES: list[tuple[str, str, Any]] = [
    ("node", "query($id: ID!) { node(id: $id) { id } }", lambda o: {"id": o.stock}),
    ("node movement", "query($id: ID!) { node(id: $id) { id } }", lambda o: {"id": o.movement}),
    ("node order", "query($id: ID!) { node(id: $id) { id } }", lambda o: {"id": o.order}),
    ("node transfer", "query($id: ID!) { node(id: $id) { id } }", lambda o: {"id": o.transfer}),
    ("locations", "{ locations(includeArchived: true) { totalCount nodes { id } } }", lambda o: {}),
    ("location", "query($id: ID!) { location(id: $id) { id } }", lambda o: {"id": o.location}),
    ("inventoryItems", "{ inventoryItems(includeArchived: true) { totalCount } }", lambda o: {}),
    ("inventoryItem", "query($id: ID) { inventoryItem(id: $id) { id } }", lambda o: {"id": o.item}),
    (
        "inventoryItem by variant",
        "query($v: ID) { inventoryItem(productVariantId: $v) { id } }",
        lambda o: {"v": o.variant},
    ),
    ("materials", "{ materials(includeArchived: true) { totalCount } }", lambda o: {}),
    ("material", "query($id: ID!) { material(id: $id) { id } }", lambda o: {"id": o.material}),
    ("stocks", "{ stocks { totalCount } }", lambda o: {}),
    (
        "stocks at location",
        "query($l: ID) { stocks(locationId: $l) { totalCount } }",
        lambda o: {"l": o.location},
    ),
    ("stock", "query($id: ID!) { stock(id: $id) { id } }", lambda o: {"id": o.stock}),
    ("stockMovements", "{ stockMovements { totalCount } }", lambda o: {}),
    (
        "stockMovements of stock",
        "query($s: ID) { stockMovements(stockId: $s) { totalCount } }",
        lambda o: {"s": o.stock},
    ),
    ("vendors", "{ vendors { totalCount } }", lambda o: {}),
    (
        "purchaseOrders",
        "query($v: ID) { purchaseOrders(vendorId: $v) { totalCount } all: purchaseOrders { totalCount } }",
        lambda o: {"v": o.vendor},
    ),
    (
        "purchaseOrder",
        "query($id: ID!) { purchaseOrder(id: $id) { id } }",
        lambda o: {"id": o.order},
    ),
    (
        "transfers",
        "query($l: ID) { transfers(locationId: $l) { totalCount } all: transfers { totalCount } }",
        lambda o: {"l": o.location},
    ),
    (
        "modifierRecipe",
        "query($o: ID!) { modifierRecipe(modifierOptionId: $o) { updatedAt } }",
        lambda o: {"o": o.modifier_option},
    ),
    (
        "ledgerCheck",
        "query($l: ID) { ledgerCheck(locationId: $l) { stocksChecked } all: ledgerCheck { stocksChecked } }",
        lambda o: {"l": o.other_location},
    ),
    (
        "locationUpdate",
        'mutation($id: ID!) { locationUpdate(id: $id, input: {name: "x"}) { location { id } userErrors { field code } } }',
        lambda o: {"id": o.location},
    ),
    (
        "locationArchive",
        "mutation($id: ID!) { locationArchive(id: $id) { location { id } userErrors { field code } } }",
        lambda o: {"id": o.location},
    ),
    (
        "materialUpdate",
        'mutation($id: ID!) { materialUpdate(id: $id, input: {name: "x"}) { material { id } userErrors { field code } } }',
        lambda o: {"id": o.material},
    ),
    (
        "materialArchive",
        "mutation($id: ID!) { materialArchive(id: $id) { material { id } userErrors { field code } } }",
        lambda o: {"id": o.material},
    ),
    (
        "recipeSet",
        'mutation($v: ID!, $m: ID!) { recipeSet(productVariantId: $v, lines: [{materialId: $m, quantity: "1"}]) { inventoryItem { id } userErrors { field code } } }',
        lambda o: {"v": o.variant, "m": o.material},
    ),
    (
        "modifierRecipeSet",
        'mutation($o: ID!, $m: ID!) { modifierRecipeSet(modifierOptionId: $o, lines: [{materialId: $m, quantity: "1"}]) { modifierRecipe { modifierOptionId } userErrors { field code } } }',
        lambda o: {"o": str(uuid.UUID(int=7)), "m": o.material},
    ),
    (
        "stockAdjust",
        'mutation($s: ID!) { stockAdjust(input: {stock: {stockId: $s}, delta: "1", reason: "x"}) { stock { id } userErrors { field code } } }',
        lambda o: {"s": o.stock},
    ),
    (
        "stockAdjust by location+item",
        'mutation($l: ID!, $m: ID!) { stockAdjust(input: {stock: {locationId: $l, itemType: MATERIAL, itemId: $m}, delta: "1", reason: "x"}) { stock { id } userErrors { field code } } }',
        lambda o: {"l": o.location, "m": o.material},
    ),
    (
        "stockCount",
        'mutation($s: ID!) { stockCount(input: {stock: {stockId: $s}, countedQuantity: "1"}) { stock { id } userErrors { field code } } }',
        lambda o: {"s": o.stock},
    ),
    (
        "stockWaste",
        'mutation($s: ID!) { stockWaste(input: {stock: {stockId: $s}, quantity: "1", reason: "x"}) { stock { id } userErrors { field code } } }',
        lambda o: {"s": o.stock},
    ),
    (
        "stockThresholdSet",
        'mutation($s: ID!) { stockThresholdSet(input: {stock: {stockId: $s}, lowStockThreshold: "1"}) { stock { id } userErrors { field code } } }',
        lambda o: {"s": o.stock},
    ),
    (
        "purchaseOrderCreate",
        'mutation($l: ID!, $v: ID!, $m: ID!) { purchaseOrderCreate(input: {locationId: $l, vendorId: $v, currency: "EUR", lines: [{itemType: MATERIAL, itemId: $m, quantityOrdered: "1", unitCost: "1"}]}) { purchaseOrder { id } userErrors { field code } } }',
        lambda o: {"l": o.location, "v": o.vendor, "m": o.material},
    ),
    (
        "purchaseOrderReceive",
        'mutation($id: ID!, $line: ID!) { purchaseOrderReceive(id: $id, input: {lines: [{lineId: $line, quantityReceived: "1"}]}) { purchaseOrder { id } userErrors { field code } } }',
        lambda o: {"id": o.order, "line": o.order_line},
    ),
    (
        "purchaseOrderCancel",
        "mutation($id: ID!) { purchaseOrderCancel(id: $id) { purchaseOrder { id } userErrors { field code } } }",
        lambda o: {"id": o.order},
    ),
    (
        "materialTransfer",
        'mutation($f: ID!, $t: ID!, $m: ID!) { materialTransfer(input: {fromLocationId: $f, toLocationId: $t, lines: [{materialId: $m, quantity: "1"}]}) { transfer { id } userErrors { field code } } }',
        lambda o: {"f": o.other_location, "t": o.location, "m": o.material},
    ),
    # Units and prep items (issue 20).
    ("node production", "query($id: ID!) { node(id: $id) { id } }", lambda o: {"id": o.production}),
    (
        "productions",
        "query($l: ID, $m: ID) { productions(locationId: $l) { totalCount } of: productions(materialId: $m) { totalCount } all: productions { totalCount } }",
        lambda o: {"l": o.other_location, "m": o.prep_material},
    ),
    (
        "materialUnitSet",
        'mutation($m: ID!) { materialUnitSet(materialId: $m, input: {name: "sack", quantity: "1", unit: "kg"}) { material { id } userErrors { field code } } }',
        lambda o: {"m": o.material},
    ),
    (
        "materialUnitRemove",
        "mutation($m: ID!, $n: String!) { materialUnitRemove(materialId: $m, name: $n) { material { id } userErrors { field code } } }",
        lambda o: {"m": o.material, "n": MATERIAL_UNIT},
    ),
    (
        "inventoryItemUnitSet",
        'mutation($i: ID!) { inventoryItemUnitSet(inventoryItemId: $i, input: {name: "tray", quantity: "12", unit: "pcs"}) { inventoryItem { id } userErrors { field code } } }',
        lambda o: {"i": o.item},
    ),
    (
        "inventoryItemUnitRemove",
        "mutation($i: ID!, $n: String!) { inventoryItemUnitRemove(inventoryItemId: $i, name: $n) { inventoryItem { id } userErrors { field code } } }",
        lambda o: {"i": o.item, "n": ITEM_UNIT},
    ),
    (
        "materialPrepRecipeSet",
        'mutation($m: ID!, $f: ID!) { materialPrepRecipeSet(materialId: $m, input: {yieldQuantity: "1", lines: [{materialId: $f, quantity: "1"}]}) { material { id } userErrors { field code } } }',
        lambda o: {"m": o.prep_material, "f": o.material},
    ),
    (
        "materialPrepRecipeSet null",
        "mutation($m: ID!) { materialPrepRecipeSet(materialId: $m, input: null) { material { id } userErrors { field code } } }",
        lambda o: {"m": o.prep_material},
    ),
    (
        "productionRecord",
        'mutation($l: ID!, $m: ID!) { productionRecord(input: {locationId: $l, materialId: $m, quantityProduced: "1", allowNegative: true}) { production { id } userErrors { field code } } }',
        lambda o: {"l": o.other_location, "m": o.prep_material},
    ),
    # Counts, usage and variance, returns (issue 21).
    (
        "node countSession",
        "query($id: ID!) { node(id: $id) { id } }",
        lambda o: {"id": o.count_session},
    ),
    (
        "countSessions",
        "query($l: ID) { countSessions(locationId: $l) { totalCount } all: countSessions { totalCount } }",
        lambda o: {"l": o.other_location},
    ),
    (
        "countSession",
        "query($id: ID!) { countSession(id: $id) { id } }",
        lambda o: {"id": o.count_session},
    ),
    (
        "usageReport",
        "query($l: ID!, $f: DateTime!, $t: DateTime!, $i: [ID!]) { usageReport(locationId: $l, from: $f, to: $t) { lines { totalCount } actualUsageValue theoreticalUsageValue varianceValue wastedValue } of: usageReport(locationId: $l, from: $f, to: $t, itemIds: $i) { lines { totalCount } } }",
        lambda o: _period(o.other_location) | {"i": [o.material, o.prep_material, o.item]},
    ),
    (
        "usageReport at the bar",
        "query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) { lines { totalCount } varianceValue } }",
        lambda o: _period(o.location),
    ),
    (
        "unmappedSales",
        "query($l: ID!, $f: DateTime!, $t: DateTime!) { unmappedSales(locationId: $l, from: $f, to: $t) { productVariantId quantitySold } }",
        lambda o: _period(o.location),
    ),
    (
        "countSessionStart",
        "mutation($l: ID!, $m: ID!) { countSessionStart(input: {locationId: $l, scope: PARTIAL, itemIds: [$m]}) { countSession { id } userErrors { field code } } }",
        lambda o: {"l": o.other_location, "m": o.material},
    ),
    (
        "countSessionRecord",
        'mutation($id: ID!, $s: ID!) { countSessionRecord(id: $id, entries: [{stock: {stockId: $s}, quantity: "1"}]) { countSession { id } userErrors { field code } } }',
        lambda o: {"id": o.count_session, "s": o.stock},
    ),
    (
        "countSessionApply",
        "mutation($id: ID!) { countSessionApply(id: $id, uncountedAsZero: true) { countSession { id } userErrors { field code } } }",
        lambda o: {"id": o.count_session},
    ),
    (
        "countSessionCancel",
        "mutation($id: ID!) { countSessionCancel(id: $id) { countSession { id } userErrors { field code } } }",
        lambda o: {"id": o.count_session},
    ),
    (
        "saleReturnRecord",
        'mutation($l: ID!, $o: ID!, $v: ID!) { saleReturnRecord(input: {locationId: $l, saleOrderId: $o, lines: [{productVariantId: $v, quantity: "1"}]}) { movements { id } userErrors { field code } } }',
        lambda o: {"l": o.location, "o": o.sale_order, "v": o.variant},
    ),
    # Purchasing and valuation (issue 22).
    (
        "reorderSuggestions",
        "query($l: ID!, $v: ID) { reorderSuggestions(locationId: $l) { available } by: reorderSuggestions(locationId: $l, method: USAGE, vendorId: $v) { available } }",
        lambda o: {"l": o.other_location, "v": o.vendor},
    ),
    (
        "inventoryValuation",
        "query($l: ID, $at: DateTime) { inventoryValuation(locationId: $l) { lines { nodes { quantity } } } then: inventoryValuation(locationId: $l, at: $at) { lines { nodes { quantity } } } all: inventoryValuation { lines { nodes { quantity } } } }",
        lambda o: {"l": o.other_location, "at": datetime.now(UTC).isoformat()},
    ),
    (
        "stockParSet",
        'mutation($s: ID!) { stockParSet(input: {stock: {stockId: $s}, parLevel: "1"}) { stock { id } userErrors { field code } } }',
        lambda o: {"s": o.stock},
    ),
    (
        "purchaseOrderUpdate",
        'mutation($id: ID!, $v: ID!) { purchaseOrderUpdate(id: $id, input: {vendorId: $v, number: "x"}) { purchaseOrder { id } userErrors { field code } } }',
        lambda o: {"id": o.order, "v": o.vendor},
    ),
    (
        "purchaseOrderSubmit",
        "mutation($id: ID!) { purchaseOrderSubmit(id: $id) { purchaseOrder { id } userErrors { field code } } }",
        lambda o: {"id": o.order},
    ),
    (
        "vendorUpdate",
        'mutation($id: ID!) { vendorUpdate(id: $id, input: {name: "x"}) { vendor { id } userErrors { field code } } }',
        lambda o: {"id": o.vendor},
    ),
    (
        "vendorArchive",
        "mutation($id: ID!) { vendorArchive(id: $id) { vendor { id } userErrors { field code } } }",
        lambda o: {"id": o.vendor},
    ),
]


@pytest.mark.parametrize(("name", "document", "variables"), CASES, ids=[c[0] for c in CASES])
async def test_another_merchants_ids_answer_like_unknown_ids(
    sessions: async_sessionmaker[AsyncSession],
    gql: Gql,
    name: str,
    document: str,
    variables: Any,
) -> None:
    theirs = await _merchant_b_objects(sessions, gql)
    before = await merchant_rows(sessions, MERCHANT_B)

    with_their_ids = await gql(document, variables(theirs), merchant_id=MERCHANT_A)
    with_unknown_ids = await gql(document, variables(unknown_objects()), merchant_id=MERCHANT_A)

    after = await merchant_rows(sessions, MERCHANT_B)
    assert with_their_ids.errors is None, with_their_ids.errors
    assert with_their_ids.data is not None
    assert with_their_ids.data == with_unknown_ids.data
    assert "B " not in str(with_their_ids.data)
    assert before == after
    if document.startswith("mutation"):
        [payload] = with_their_ids.data.values()
        assert "NOT_FOUND" in {e["code"] for e in payload["userErrors"]}, payload
    else:
        assert _empty(with_their_ids.data), with_their_ids.data


@pytest.mark.parametrize(("name", "document", "variables"), CASES, ids=[c[0] for c in CASES])
async def test_every_case_names_objects_merchant_b_itself_finds(
    sessions: async_sessionmaker[AsyncSession],
    gql: Gql,
    name: str,
    document: str,
    variables: Any,
) -> None:
    """The table is not vacuous: with B's own token, the same ids find B's objects."""
    theirs = await _merchant_b_objects(sessions, gql)

    answer = await gql(document, variables(theirs), merchant_id=MERCHANT_B)

    assert answer.errors is None, answer.errors
    assert answer.data is not None
    if document.startswith("mutation"):
        [payload] = answer.data.values()
        assert "NOT_FOUND" not in {e["code"] for e in payload["userErrors"]}, payload
    else:
        assert not _empty(answer.data), answer.data


def _empty(value: Any) -> bool:
    """Nothing but nulls, zeros and empty lists, however nested: nothing found."""
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value in (None, 0, [])


async def test_merchant_b_still_sees_its_own_objects(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    theirs = await _merchant_b_objects(sessions, gql)

    data = await gql.data(
        "query($id: ID!, $c: ID!, $p: ID!) { node(id: $id) { id } stocks { totalCount } countSession(id: $c) { id } production: node(id: $p) { id } }",
        {"id": theirs.order, "c": theirs.count_session, "p": theirs.production},
        merchant_id=MERCHANT_B,
    )
    mine = await gql.data("{ stocks { totalCount } }", merchant_id=MERCHANT_A)

    assert data["node"] == {"id": theirs.order}
    assert data["countSession"] == {"id": theirs.count_session}
    assert data["production"] == {"id": theirs.production}
    # Flour at the store, and at the bar after the transfer; the sauce made at the store;
    # the cake sold at the bar.
    assert data["stocks"]["totalCount"] == 4
    assert mine["stocks"]["totalCount"] == 0
