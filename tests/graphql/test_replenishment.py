# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Par levels, reorder suggestions (PAR and USAGE), average costs kept as of each change,
and inventory valuation now and at a past moment: the rules of the header of
purchasing-and-valuation.graphql, with every expected number worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType, MovementType
from graphql_schema.ids import global_id, parse_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql
from tests.graphql.purchasing_helpers import (
    ERRORS,
    SUBMIT,
    line,
    material_in_cases,
    place,
    receive,
    shop,
)

PAR_SET = f"""mutation($i: StockParInput!) {{ stockParSet(input: $i) {{
    stock {{ parLevel reorderPoint }} {ERRORS} }} }}"""
SUGGESTIONS = """query($l: ID!, $m: ReorderMethod, $lb: Int, $cd: Int, $v: ID) {
  reorderSuggestions(locationId: $l, method: $m, lookbackDays: $lb, coverDays: $cd, vendorId: $v) {
    stock { item { ... on Material { name } } } vendor { name } available incoming parLevel reorderPoint
    averageDailyUsage daysOfCover suggestedQuantity packUnit suggestedPacks lastUnitCost } }"""
VALUATION = """query($l: ID, $at: DateTime) { inventoryValuation(locationId: $l, at: $at) {
    at currency totalValue lines(first: 50) { totalCount nodes { stock { item { ... on Material { name averageUnitCost } } } quantity unitCost value } } } }"""


def _ref(location: str, material: str) -> dict[str, str]:
    return {"locationId": location, "itemType": "MATERIAL", "itemId": material}


async def _suggestions(gql: Gql, location: str, **given: Any) -> list[Any]:
    variables = {"l": location, **given}
    return list((await gql.data(SUGGESTIONS, variables))["reorderSuggestions"])


async def _valuation(gql: Gql, location: str | None, at: datetime | None = None) -> Any:
    variables = {"l": location, "at": None if at is None else at.isoformat()}
    return (await gql.data(VALUATION, variables))["inventoryValuation"]


def _by_name(valuation: Any) -> dict[str, Any]:
    return {n["stock"]["item"]["name"]: n for n in valuation["lines"]["nodes"]}


async def test_par_levels_suggest_whole_cases_from_the_last_vendor_and_drafts_are_not_incoming(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, dairy = await shop(sessions, "Dairy Co")
    alpha = global_id("Vendor", await seed.vendor(sessions, MERCHANT_A, "Alpha Roasters"))
    oat = await material_in_cases(gql)  # cases of 6 l
    beans = await material_in_cases(gql, "Beans", case="1")
    received_oat = (await place(gql, location, dairy, [line(oat, "3", "9", "case")]))[
        "purchaseOrder"
    ]
    received_beans = (await place(gql, location, alpha, [line(beans, "2", "20")]))["purchaseOrder"]
    await receive(gql, received_oat["id"])  # 18 l at 1.50 a litre
    await receive(gql, received_beans["id"])  # 2 kg at 20

    # par 5 cases = 30 l, order at 3 cases = 18 l; beans: par 5, no reorder point.
    oat_par = (
        await gql.data(
            PAR_SET,
            {
                "i": {
                    "stock": _ref(location, oat),
                    "parLevel": "5",
                    "reorderPoint": "3",
                    "unit": "case",
                }
            },
        )
    )["stockParSet"]
    beans_par = (await gql.data(PAR_SET, {"i": {"stock": _ref(location, beans), "parLevel": "5"}}))[
        "stockParSet"
    ]
    assert oat_par == {"stock": {"parLevel": "30", "reorderPoint": "18"}, "userErrors": []}
    assert beans_par["stock"] == {"parLevel": "5", "reorderPoint": None}

    # A draft of 1 case is not incoming: oat milk 18 l is at its point, 30 - 18 = 12 l = 2 cases.
    await place(gql, location, dairy, [line(oat, "1", "9", "case")], status="DRAFT")
    found = await _suggestions(gql, location)
    # Ordered by vendor name: Alpha Roasters (beans) before Dairy Co (oat milk).
    assert [(s["stock"]["item"]["name"], s["vendor"]["name"]) for s in found] == [
        ("Beans", "Alpha Roasters"),
        ("Oat milk", "Dairy Co"),
    ]
    beans_s, oat_s = found
    # Beans: 5 - 2 = 3 kg, received in its base unit: no packs; 20 a kg.
    assert (beans_s["suggestedQuantity"], beans_s["packUnit"], beans_s["suggestedPacks"]) == (
        "3",
        None,
        None,
    )
    assert D(beans_s["lastUnitCost"]) == D(20)
    assert (oat_s["available"], oat_s["incoming"], oat_s["parLevel"], oat_s["reorderPoint"]) == (
        "18",
        "0",
        "30",
        "18",
    )
    assert (oat_s["suggestedQuantity"], oat_s["packUnit"], oat_s["suggestedPacks"]) == (
        "12",
        "case",
        "2",
    )
    assert D(oat_s["lastUnitCost"]) == D("1.5")  # 9 a case of 6 l
    assert (oat_s["averageDailyUsage"], oat_s["daysOfCover"]) == ("0", None)
    only_dairy = await _suggestions(gql, location, v=dairy)
    assert [s["stock"]["item"]["name"] for s in only_dairy] == ["Oat milk"]

    # Submitted, the case is incoming: 18 + 6 = 24 above the point, nothing for oat milk.
    draft = (await place(gql, location, dairy, [line(oat, "1", "9", "case")], status="DRAFT"))[
        "purchaseOrder"
    ]
    await gql.data(SUBMIT, {"id": draft["id"]})
    after = await _suggestions(gql, location)
    assert [s["stock"]["item"]["name"] for s in after] == ["Beans"]


async def test_usage_suggests_what_covers_the_days_from_a_scripted_history(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, alpha = await shop(sessions, "Alpha Roasters")
    beans = await material_in_cases(gql, "Beans", case="1")
    order = (await place(gql, location, alpha, [line(beans, "40", "20")]))["purchaseOrder"]
    await receive(gql, order["id"])  # +40: a receipt, not usage
    stock = {"stock": _ref(location, beans)}
    old = await gql.data(
        f"""mutation($i: StockWasteInput!) {{ stockWaste(input: $i) {{ movement {{ id }} {ERRORS} }} }}""",
        {"i": {**stock, "quantity": "10", "reason": "spilled"}},
    )
    # The receipt and that waste happened 10 days ago, in that order: outside an 8-day
    # lookback (the ledger keeps its order in time, so opening is the 30 left after them).
    old_id = parse_id(old["stockWaste"]["movement"]["id"], "StockMovement")
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    ledger = t.stock_movement
    async with sessions.begin() as session:
        await session.execute(
            update(ledger)
            .where(ledger.c.type == MovementType.PURCHASE_RECEIPT)
            .values(occurred_at=ten_days_ago - timedelta(seconds=1))
        )
        await session.execute(
            update(ledger).where(ledger.c.id == old_id).values(occurred_at=ten_days_ago)
        )
    adjust = f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{ {ERRORS} }} }}"""
    await gql.data(
        f"""mutation($i: StockWasteInput!) {{ stockWaste(input: $i) {{ {ERRORS} }} }}""",
        {"i": {**stock, "quantity": "4", "reason": "burnt"}},
    )  # usage 4
    await gql.data(adjust, {"i": {**stock, "delta": "-12", "reason": "used"}})  # usage 12
    await gql.data(adjust, {"i": {**stock, "delta": "2", "reason": "found a bag"}})  # restock

    # On hand 40 - 10 - 4 - 12 + 2 = 16; usage in the last 8 days 4 + 12 = 16 (opening 30
    # + 2 restocked - closing 16): 2 a day.
    # 10 days of cover = 20; 20 - 16 = 4 to order; 16 / 2 = 8 days of cover.
    [found] = await _suggestions(gql, location, m="USAGE", lb=8, cd=10)
    assert (found["available"], found["averageDailyUsage"], found["daysOfCover"]) == (
        "16",
        "2",
        "8",
    )
    assert (found["suggestedQuantity"], found["vendor"]) == ("4", {"name": "Alpha Roasters"})
    # 7 days of cover = 14, fewer than the 16 there: nothing.
    assert await _suggestions(gql, location, m="USAGE", lb=8, cd=7) == []
    # Without a par level, PAR lists nothing.
    assert await _suggestions(gql, location) == []
    bad = await gql(SUGGESTIONS, {"l": location, "lb": 0})
    assert bad.errors is not None
    assert "lookbackDays" in bad.errors[0].message


async def test_two_receipts_at_different_costs_and_a_valuation_between_them(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, dairy = await shop(sessions)
    oat = await material_in_cases(gql)
    location_pk = parse_id(location, "Location")
    assert location_pk is not None
    cups = await seed.material(sessions, MERCHANT_A, "Cups", "pcs")
    await seed.stock(sessions, MERCHANT_A, location_pk, ItemType.MATERIAL, cups, "50")
    before_any = datetime.now(UTC)

    first = (await place(gql, location, dairy, [line(oat, "2", "9", "case")]))["purchaseOrder"]
    await receive(gql, first["id"])  # 12 l worth 18: 1.50 a litre
    between = datetime.now(UTC)
    second = (await place(gql, location, dairy, [line(oat, "1", "12", "case")]))["purchaseOrder"]
    await receive(gql, second["id"])  # 6 l worth 12 on 12 l at 1.50: (18 + 12) / 18

    now_cost = D("1.666666666667")  # 30 / 18, 12 places half to even
    at_start = await _valuation(gql, location, before_any)
    at_between = await _valuation(gql, location, between)
    now = await _valuation(gql, location)
    everywhere = await _valuation(gql, None, between)

    # Before the receipts: only the 50 cups, which have no cost (never received).
    assert _by_name(at_start) == {
        "Cups": {
            "stock": {"item": {"name": "Cups", "averageUnitCost": None}},
            "quantity": "50",
            "unitCost": None,
            "value": None,
        }
    }
    assert D(at_start["totalValue"]) == 0
    # Between: 12 l at 1.50 = 18; the total leaves the uncosted cups out.
    oat_between = _by_name(at_between)["Oat milk"]
    assert (D(oat_between["quantity"]), D(oat_between["unitCost"]), D(oat_between["value"])) == (
        D(12),
        D("1.5"),
        D(18),
    )
    assert D(at_between["totalValue"]) == D(18)
    assert at_between["at"].startswith(between.isoformat()[:19])
    assert at_between["currency"] == "EUR"
    assert everywhere["totalValue"] == at_between["totalValue"]
    # Now: 18 l at 30 / 18.
    oat_now = _by_name(now)["Oat milk"]
    assert (D(oat_now["quantity"]), D(oat_now["unitCost"])) == (D(18), now_cost)
    assert D(oat_now["value"]) == D(18) * now_cost
    assert D(oat_now["stock"]["item"]["averageUnitCost"]) == now_cost
    assert D(now["totalValue"]) == D(18) * now_cost
    assert now["lines"]["totalCount"] == 2


async def test_valuation_lines_page_and_a_received_product_has_an_average_cost(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, dairy = await shop(sessions)
    croissant, _ = await seed.item(sessions, MERCHANT_A, "Croissant")
    product = global_id("InventoryItem", croissant)
    oat = await material_in_cases(gql)
    order = (
        await place(
            gql,
            location,
            dairy,
            [
                {
                    "itemType": "PRODUCT",
                    "itemId": product,
                    "quantityOrdered": "10",
                    "unitCost": "0.8",
                },
                line(oat, "1", "9", "case"),
            ],
        )
    )["purchaseOrder"]
    await receive(gql, order["id"])

    item = await gql.data(
        "query($id: ID!) { inventoryItem(id: $id) { averageUnitCost } }", {"id": product}
    )
    page = await gql.data(
        """query($l: ID) { inventoryValuation(locationId: $l) { totalValue
            lines(first: 1) { totalCount edges { cursor node { quantity value } } pageInfo { hasNextPage endCursor } } } }""",
        {"l": location},
    )
    lines = page["inventoryValuation"]["lines"]
    rest = await gql.data(
        """query($l: ID, $after: String) { inventoryValuation(locationId: $l) {
            lines(first: 5, after: $after) { nodes { quantity value } pageInfo { hasNextPage } } } }""",
        {"l": location, "after": lines["pageInfo"]["endCursor"]},
    )

    assert D(item["inventoryItem"]["averageUnitCost"]) == D("0.8")
    # Croissant before Oat milk by name: 10 x 0.8 = 8, then 6 x 1.5 = 9; total 17.
    assert D(page["inventoryValuation"]["totalValue"]) == D(17)
    assert (lines["totalCount"], lines["pageInfo"]["hasNextPage"]) == (2, True)
    assert D(lines["edges"][0]["node"]["value"]) == D(8)
    assert [D(n["value"]) for n in rest["inventoryValuation"]["lines"]["nodes"]] == [D(9)]
    assert rest["inventoryValuation"]["lines"]["pageInfo"]["hasNextPage"] is False


async def test_a_production_sets_the_prep_items_cost_as_of_its_time(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from app.db.queries.valuation import valued_stocks

    location, dairy = await shop(sessions)
    beans = await material_in_cases(gql, "Beans", case="1")
    order = (await place(gql, location, dairy, [line(beans, "4", "20")]))["purchaseOrder"]
    await receive(gql, order["id"])  # 4 at 20
    brew = (
        await gql.data(
            """mutation { materialCreate(input: { name: "Cold brew", unit: "l" }) { material { id } } }"""
        )
    )["materialCreate"]["material"]["id"]
    recipe = await gql.data(
        """mutation($m: ID!, $b: ID!) { materialPrepRecipeSet(materialId: $m, input: { yieldQuantity: "2", lines: [{ materialId: $b, quantity: "1" }] }) { userErrors { code } } }""",
        {"m": brew, "b": beans},
    )
    assert recipe["materialPrepRecipeSet"]["userErrors"] == []
    before = datetime.now(UTC)
    made = await gql.data(
        """mutation($i: ProductionInput!) { productionRecord(input: $i) { userErrors { code message } } }""",
        {"i": {"locationId": location, "materialId": brew, "quantityProduced": "2"}},
    )
    assert made["productionRecord"]["userErrors"] == []

    # 2 l made from 1 kg of beans at 20: 10 a litre, as of the production, not before.
    location_pk, merchant = parse_id(location, "Location"), MERCHANT_A
    async with sessions() as session:
        then = await valued_stocks(session, merchant, location_id=location_pk, at=before)
        now = await valued_stocks(session, merchant, location_id=location_pk, at=datetime.now(UTC))
    assert [(s.name, s.quantity, s.unit_cost) for s in then] == [("Beans", D(4), D(20))]
    assert [(s.name, s.quantity, s.unit_cost) for s in now] == [
        ("Beans", D(3), D(20)),
        ("Cold brew", D(2), D(10)),
    ]
