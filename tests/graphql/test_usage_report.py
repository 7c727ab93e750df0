# ruff: noqa: E501  (GraphQL documents read better on one line)
"""usageReport over a scripted week, checked number by number against values worked by hand.

The week at Main: a purchase receipt, transfers both ways, waste, adjustments in and
out, a production of cold brew from beans, a payment of lattes (with and without an
extra shot) and cookies, one latte ticket made and one cancelled, a cookie returned,
and a count of milk and beans at the end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType, KitchenStatus
from app.domain.kitchen import KitchenStatusChanged
from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier
from app.services.sales import apply_kitchen_status, apply_payment
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

D = Decimal
REPORT = """query($l: ID!, $f: DateTime!, $t: DateTime!) { usageReport(locationId: $l, from: $f, to: $t) {
  actualUsageValue theoreticalUsageValue varianceValue wastedValue
  lines(first: 10) { totalCount nodes { stock { item { ... on Material { name } ... on InventoryItem { name } } }
    opening received transferredIn transferredOut produced adjustedIn returned wasted closing
    actualUsage theoreticalUsage variance unexplained variancePercent unitCost
    actualUsageValue theoreticalUsageValue varianceValue wastedValue } } } }"""


async def _ok(gql: Gql, query: str, variables: dict[str, Any], field: str) -> Any:
    data = (await gql.data(query, variables))[field]
    assert data["userErrors"] == [], data["userErrors"]
    return data


class Week:
    """The shop and its script; ids as GraphQL ids where the API takes them."""

    def __init__(self, gql: Gql, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.gql, self.sessions = gql, sessions

    async def before(self) -> None:
        s = self.sessions
        self.main = await seed.location(s, MERCHANT_A, "Main")
        self.annex = await seed.location(s, MERCHANT_A, "Annex")
        self.milk = await seed.material(s, MERCHANT_A, "Milk", "ml")
        self.beans = await seed.material(s, MERCHANT_A, "Beans", "g")
        self.cold_brew = await seed.material(s, MERCHANT_A, "Cold brew", "ml")
        self.cookie, self.cookie_variant = await seed.item(s, MERCHANT_A, "Cookie")
        _, self.latte_variant = await seed.item(s, MERCHANT_A, "Latte", track=False)
        self.shot = uuid.uuid4()
        await seed.stock(s, MERCHANT_A, self.main, ItemType.MATERIAL, self.milk, "5000")
        await seed.stock(s, MERCHANT_A, self.main, ItemType.MATERIAL, self.beans, "1000")
        await seed.stock(s, MERCHANT_A, self.main, ItemType.PRODUCT, self.cookie, "20")
        await seed.stock(s, MERCHANT_A, self.annex, ItemType.MATERIAL, self.beans, "500")
        for material, cost in ((self.milk, "0.002"), (self.beans, "0.03")):
            await set_cost(s, material, D(cost))
        gql = self.gql
        await _ok(
            gql,
            "mutation($v: ID!, $l: [RecipeLineInput!]!) { recipeSet(productVariantId: $v, lines: $l) { userErrors { message } } }",
            {
                "v": str(self.latte_variant),
                "l": [
                    {"materialId": self.gid("Material", self.milk), "quantity": "200"},
                    {"materialId": self.gid("Material", self.beans), "quantity": "18"},
                ],
            },
            "recipeSet",
        )
        await _ok(
            gql,
            "mutation($m: ID!, $l: [RecipeLineInput!]!) { modifierRecipeSet(modifierOptionId: $m, lines: $l) { userErrors { message } } }",
            {
                "m": str(self.shot),
                "l": [{"materialId": self.gid("Material", self.beans), "quantity": "9"}],
            },
            "modifierRecipeSet",
        )
        await _ok(
            gql,
            "mutation($m: ID!, $i: PrepRecipeInput) { materialPrepRecipeSet(materialId: $m, input: $i) { userErrors { message } } }",
            {
                "m": self.gid("Material", self.cold_brew),
                "i": {
                    "yieldQuantity": "1",
                    "yieldUnit": "l",
                    "lines": [{"materialId": self.gid("Material", self.beans), "quantity": "80"}],
                },
            },
            "materialPrepRecipeSet",
        )

    @staticmethod
    def gid(type_name: str, pk: uuid.UUID) -> str:
        return global_id(type_name, pk)

    async def script(self) -> None:
        gql, main = self.gql, self.gid("Location", self.main)
        milk, beans = self.gid("Material", self.milk), self.gid("Material", self.beans)
        # 6000 ml of milk received at the cost it already averages.
        vendor = (
            await _ok(
                gql,
                'mutation { vendorCreate(input: {name: "Dairy"}) { vendor { id } userErrors { message } } }',
                {},
                "vendorCreate",
            )
        )["vendor"]["id"]
        order = (
            await _ok(
                gql,
                "mutation($i: PurchaseOrderInput!) { purchaseOrderCreate(input: $i) { purchaseOrder { id } userErrors { message } } }",
                {
                    "i": {
                        "locationId": main,
                        "vendorId": vendor,
                        "currency": "EUR",
                        "lines": [
                            {
                                "itemType": "MATERIAL",
                                "itemId": milk,
                                "quantityOrdered": "6000",
                                "unitCost": "0.002",
                            }
                        ],
                    }
                },
                "purchaseOrderCreate",
            )
        )["purchaseOrder"]["id"]
        await _ok(
            gql,
            "mutation($id: ID!) { purchaseOrderReceive(id: $id) { userErrors { message } } }",
            {"id": order},
            "purchaseOrderReceive",
        )
        transfer = "mutation($i: TransferInput!) { materialTransfer(input: $i) { userErrors { message } } }"
        await _ok(
            gql,
            transfer,
            {
                "i": {
                    "fromLocationId": main,
                    "toLocationId": self.gid("Location", self.annex),
                    "lines": [{"materialId": milk, "quantity": "1000"}],
                }
            },
            "materialTransfer",
        )
        await _ok(
            gql,
            transfer,
            {
                "i": {
                    "fromLocationId": self.gid("Location", self.annex),
                    "toLocationId": main,
                    "lines": [{"materialId": beans, "quantity": "200"}],
                }
            },
            "materialTransfer",
        )
        await _ok(
            gql,
            "mutation($i: StockWasteInput!) { stockWaste(input: $i) { userErrors { message } } }",
            {
                "i": {
                    "stock": {"locationId": main, "itemType": "MATERIAL", "itemId": milk},
                    "quantity": "150",
                    "reason": "spilled",
                }
            },
            "stockWaste",
        )
        adjust = (
            "mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { message } } }"
        )
        await _ok(
            gql,
            adjust,
            {
                "i": {
                    "stock": {"locationId": main, "itemType": "MATERIAL", "itemId": beans},
                    "delta": "50",
                    "reason": "found a bag",
                }
            },
            "stockAdjust",
        )
        await _ok(
            gql,
            adjust,
            {
                "i": {
                    "stock": {"locationId": main, "itemType": "MATERIAL", "itemId": milk},
                    "delta": "-30",
                    "reason": "sample",
                }
            },
            "stockAdjust",
        )
        # 2 l of cold brew: 2 batches of 80 g beans.
        await _ok(
            gql,
            "mutation($i: ProductionInput!) { productionRecord(input: $i) { userErrors { message } } }",
            {
                "i": {
                    "locationId": main,
                    "materialId": self.gid("Material", self.cold_brew),
                    "quantityProduced": "2000",
                }
            },
            "productionRecord",
        )
        # 8 lattes, 2 lattes with an extra shot each, 3 cookies.
        sale_order, plain, with_shot = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)
        await apply_payment(
            self.sessions,
            PaymentSucceeded(
                event_id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                location_id=self.main,
                sale_order_id=sale_order,
                items=(
                    SaleItem(plain, self.latte_variant, D(8)),
                    SaleItem(with_shot, self.latte_variant, D(2), (SaleModifier(self.shot, D(1)),)),
                    SaleItem(uuid.uuid4(), self.cookie_variant, D(3)),
                ),
                occurred_at=now,
            ),
        )
        for item, status in ((plain, KitchenStatus.READY), (with_shot, KitchenStatus.CANCELLED)):
            await apply_kitchen_status(
                self.sessions,
                KitchenStatusChanged(
                    event_id=uuid.uuid4(),
                    merchant_id=MERCHANT_A,
                    location_id=self.main,
                    sale_order_id=sale_order,
                    sale_order_item_id=item,
                    kitchen_ticket_item_id=uuid.uuid4(),
                    product_variant_id=self.latte_variant,
                    quantity=D(8) if item == plain else D(2),
                    status=status,
                    occurred_at=now,
                ),
            )
        await _ok(
            gql,
            "mutation($i: SaleReturnInput!) { saleReturnRecord(input: $i) { userErrors { message } } }",
            {
                "i": {
                    "locationId": main,
                    "saleOrderId": str(sale_order),
                    "lines": [{"productVariantId": str(self.cookie_variant), "quantity": "1"}],
                }
            },
            "saleReturnRecord",
        )
        # The count: 8.1 l of milk (8220 expected), 940 g of beans (946 expected).
        count = (
            await _ok(
                gql,
                "mutation($i: CountSessionInput!) { countSessionStart(input: $i) { countSession { id } userErrors { message } } }",
                {"i": {"locationId": main, "scope": "PARTIAL"}},
                "countSessionStart",
            )
        )["countSession"]["id"]
        await _ok(
            gql,
            "mutation($id: ID!, $e: [CountEntryInput!]!) { countSessionRecord(id: $id, entries: $e) { userErrors { message } } }",
            {
                "id": count,
                "e": [
                    {
                        "stock": {"locationId": main, "itemType": "MATERIAL", "itemId": milk},
                        "quantity": "8.1",
                        "unit": "l",
                    },
                    {
                        "stock": {"locationId": main, "itemType": "MATERIAL", "itemId": beans},
                        "quantity": "940",
                    },
                ],
            },
            "countSessionRecord",
        )
        await _ok(
            gql,
            "mutation($id: ID!) { countSessionApply(id: $id) { userErrors { message } } }",
            {"id": count},
            "countSessionApply",
        )


async def set_cost(
    sessions: async_sessionmaker[AsyncSession], material: uuid.UUID, cost: Decimal
) -> None:
    """A material's average unit cost from now on, kept in its history as a receipt
    would keep it (the report values at the average as of its `to`)."""
    async with sessions.begin() as session:
        await session.execute(
            update(t.material).where(t.material.c.id == material).values(average_unit_cost=cost)
        )
        await session.execute(
            insert(t.item_cost_change).values(
                id=uuid.uuid4(),
                merchant_id=MERCHANT_A,
                item_type=ItemType.MATERIAL.value,
                item_id=material,
                average_unit_cost=cost,
                changed_at=datetime.now(UTC),
                reference_type="PURCHASE_ORDER",
                reference_id="seed",
            )
        )


async def test_a_scripted_week_reports_every_column_as_worked_by_hand(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    week = Week(gql, sessions)
    await week.before()
    start = datetime.now(UTC)
    await week.script()
    end = datetime.now(UTC)

    report = (
        await gql.data(
            REPORT,
            {"l": global_id("Location", week.main), "f": start.isoformat(), "t": end.isoformat()},
        )
    )["usageReport"]

    lines = report["lines"]["nodes"]
    names = [line["stock"]["item"]["name"] for line in lines]
    # Largest absolute variance value first; the cookie has no cost, so it comes last.
    assert names == ["Milk", "Beans", "Cold brew", "Cookie"]
    milk, beans, cold_brew, cookie = (
        {k: v for k, v in line.items() if k != "stock"} for line in lines
    )
    # Milk: 5000 + 6000 received - 1000 out - 150 wasted - 30 adjusted out - 1600 made into
    # 8 lattes = 8220, counted 8100. Used: 5000 + 6000 - 1000 - 8100 = 1900. The recipes
    # explain 10 x 200 reserved - 2 x 200 cancelled = 1600: 300 unexplained by them, 150 of
    # it wasted. 300 / 1600 = 18.75 %. At 0.002 / ml.
    assert milk == {
        "opening": "5000",
        "received": "6000",
        "transferredIn": "0",
        "transferredOut": "1000",
        "produced": "0",
        "adjustedIn": "0",
        "returned": "0",
        "wasted": "150",
        "closing": "8100",
        "actualUsage": "1900",
        "theoreticalUsage": "1600",
        "variance": "300",
        "unexplained": "150",
        "variancePercent": "18.75",
        "unitCost": "0.002",
        "actualUsageValue": "3.8",
        "theoreticalUsageValue": "3.2",
        "varianceValue": "0.6",
        "wastedValue": "0.3",
    }
    # Beans: 1000 + 200 in + 50 found - 160 into cold brew - 144 into 8 lattes = 946,
    # counted 940. Used: 1000 + 50 + 200 - 940 = 310. Explained: lattes 10 x 18 + 2 x 9
    # (shots) reserved - (2 x 18 + 2 x 9) cancelled = 144, plus 2 batches x 80 = 160: 304.
    # 6 / 304 = 1.97368… %. At 0.03 / g.
    assert beans == {
        "opening": "1000",
        "received": "0",
        "transferredIn": "200",
        "transferredOut": "0",
        "produced": "0",
        "adjustedIn": "50",
        "returned": "0",
        "wasted": "0",
        "closing": "940",
        "actualUsage": "310",
        "theoreticalUsage": "304",
        "variance": "6",
        "unexplained": "6",
        "variancePercent": "1.97",
        "unitCost": "0.03",
        "actualUsageValue": "9.3",
        "theoreticalUsageValue": "9.12",
        "varianceValue": "0.18",
        "wastedValue": "0",
    }
    # Cold brew: 2000 made, none used; its cost is the 160 g of beans at 0.03 over 2000 ml.
    assert cold_brew["produced"] == "2000"
    assert cold_brew["closing"] == "2000"
    assert (
        cold_brew["actualUsage"],
        cold_brew["theoreticalUsage"],
        cold_brew["variancePercent"],
    ) == ("0", "0", None)
    assert cold_brew["unitCost"] == "0.0024"
    # Cookie: 20 - 3 sold + 1 returned = 18. Used 2, explained 3 sold - 1 returned = 2.
    assert cookie == {
        "opening": "20",
        "received": "0",
        "transferredIn": "0",
        "transferredOut": "0",
        "produced": "0",
        "adjustedIn": "0",
        "returned": "1",
        "wasted": "0",
        "closing": "18",
        "actualUsage": "2",
        "theoreticalUsage": "2",
        "variance": "0",
        "unexplained": "0",
        "variancePercent": "0",
        "unitCost": None,
        "actualUsageValue": None,
        "theoreticalUsageValue": None,
        "varianceValue": None,
        "wastedValue": None,
    }
    assert report["lines"]["totalCount"] == 4
    # The sums of the lines' values: 3.8 + 9.3 + 0, 3.2 + 9.12 + 0, 0.6 + 0.18, 0.3 + 0.
    assert (report["actualUsageValue"], report["theoreticalUsageValue"]) == ("13.1", "12.32")
    assert (report["varianceValue"], report["wastedValue"]) == ("0.78", "0.3")

    # Milk bought dearer after the period: the period's values stay at the average as of
    # its end; a report to now reads the new average.
    await set_cost(sessions, week.milk, D("0.0025"))
    again = await gql.data(
        REPORT,
        {"l": global_id("Location", week.main), "f": start.isoformat(), "t": end.isoformat()},
    )
    assert again["usageReport"] == report
    later = datetime.now(UTC)
    to_now = await gql.data(
        REPORT,
        {"l": global_id("Location", week.main), "f": start.isoformat(), "t": later.isoformat()},
    )
    milk_now = next(
        line
        for line in to_now["usageReport"]["lines"]["nodes"]
        if line["stock"]["item"]["name"] == "Milk"
    )
    # 1900 ml used at 0.0025.
    assert (milk_now["unitCost"], milk_now["actualUsageValue"]) == ("0.0025", "4.75")


async def test_a_period_before_anything_happened_has_no_lines(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    week = Week(gql, sessions)
    await week.before()

    report = (
        await gql.data(
            REPORT,
            {
                "l": global_id("Location", week.main),
                "f": "2001-01-01T00:00:00Z",
                "t": "2001-01-08T00:00:00Z",
            },
        )
    )["usageReport"]

    assert report["lines"]["totalCount"] == 0
    assert report["varianceValue"] is None


async def test_an_unknown_location_is_a_not_found_error_naming_the_argument(gql: Gql) -> None:
    result = await gql(
        "query($l: ID!, $f: DateTime!, $t: DateTime!) {"
        " usageReport(locationId: $l, from: $f, to: $t) { location { name } } }",
        {
            "l": global_id("Location", uuid.uuid4()),
            "f": "2001-01-01T00:00:00Z",
            "t": "2001-01-08T00:00:00Z",
        },
    )

    assert result.data is None
    assert result.errors is not None
    [error] = result.errors
    assert error.extensions == {"code": "NOT_FOUND"}
    assert "locationId" in error.message


async def test_a_period_of_more_than_366_days_is_refused_before_any_day_is_summed(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    week = Week(gql, sessions)
    await week.before()

    result = await gql(
        REPORT,
        {
            "l": global_id("Location", week.main),
            "f": "0001-01-01T00:00:00Z",
            "t": "2020-01-01T00:00:00Z",
        },
    )

    assert result.errors is not None
    [error] = result.errors
    assert error.extensions == {"code": "BAD_USER_INPUT"}
    assert error.message == "a report covers at most 366 days"
    async with sessions() as session:
        summed = await session.scalar(select(func.count()).select_from(t.ledger_day_summed))
    assert summed == 0
