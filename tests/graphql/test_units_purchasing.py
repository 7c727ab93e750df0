# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Purchase orders in other units: entered quantities and costs, base quantities, costs per
base unit, receipts in another unit than the line's, and the event finance reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.kafka import topics
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql
from tests.graphql.test_units import _milk

ERRORS = "userErrors { field message code }"
LINES = "lines { id unit quantityOrdered quantityReceived unitCost quantityOrderedBase quantityReceivedBase }"
CREATE = f"""mutation($i: PurchaseOrderInput!) {{ purchaseOrderCreate(input: $i) {{
    purchaseOrder {{ id {LINES} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $i: PurchaseOrderReceiveInput) {{ purchaseOrderReceive(id: $id, input: $i) {{
    purchaseOrder {{ status {LINES} }} {ERRORS} }} }}"""


def _line(material: str, quantity: str, cost: str, unit: str) -> dict[str, str]:
    return {
        "itemType": "MATERIAL",
        "itemId": material,
        "quantityOrdered": quantity,
        "unitCost": cost,
        "unit": unit,
    }


async def _order(
    gql: Gql, sessions: async_sessionmaker[AsyncSession], lines: list[dict[str, Any]]
) -> tuple[Any, str]:
    location = await seed.location(sessions, MERCHANT_A)
    vendor = await seed.vendor(sessions, MERCHANT_A, "Dairy")
    data = await gql.data(
        CREATE,
        {
            "i": {
                "locationId": global_id("Location", location),
                "vendorId": global_id("Vendor", vendor),
                "currency": "EUR",
                "lines": lines,
            }
        },
    )
    return data["purchaseOrderCreate"], global_id("Location", location)


async def _milk_on_hand(sessions: async_sessionmaker[AsyncSession], location: str) -> Decimal:
    async with sessions() as session:
        value: Decimal = (
            await session.execute(
                select(t.stock.c.on_hand).where(t.stock.c.location_id == _pk(location))
            )
        ).scalar_one()
    return value


def _pk(global_location: str) -> Any:
    from graphql_schema.ids import parse_id

    return parse_id(global_location, "Location")


async def test_a_line_in_cases_keeps_what_was_entered_and_its_base(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)

    created, _ = await _order(
        gql,
        sessions,
        [_line(milk, "2", "18", "CASE")],
    )

    assert created["userErrors"] == []
    [line] = created["purchaseOrder"]["lines"]
    assert {k: v for k, v in line.items() if k != "id"} == {
        "unit": "case",
        "quantityOrdered": "2",
        "quantityReceived": None,
        "unitCost": "18",
        "quantityOrderedBase": "18000",
        "quantityReceivedBase": None,
    }
    async with sessions() as session:
        base_cost = (
            (await session.execute(select(t.purchase_order_line.c.unit_cost))).scalars().all()
        )
    assert base_cost == [Decimal("0.002000000000")]


async def test_a_line_in_a_unit_that_does_not_convert_is_unit_mismatch(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)

    created, _ = await _order(
        gql,
        sessions,
        [_line(milk, "2", "18", "kg")],
    )

    assert created["purchaseOrder"] is None
    assert created["userErrors"] == [
        {
            "field": ["input", "lines", "0", "unit"],
            "message": "kg does not convert to ml for this item",
            "code": "UNIT_MISMATCH",
        }
    ]


async def test_receiving_in_bottles_a_line_in_cases(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    created, location = await _order(
        gql,
        sessions,
        [_line(milk, "1", "18", "case")],
    )
    order = created["purchaseOrder"]
    line_id = order["lines"][0]["id"]

    received = await gql.data(
        RECEIVE,
        {
            "id": order["id"],
            "i": {
                "lines": [
                    {
                        "lineId": line_id,
                        "quantityReceived": "4",
                        "unit": "bottle",
                        "unitCost": "1.6",
                    }
                ],
                "payments": [{"method": "CASH", "amount": "6.4"}],
            },
        },
    )
    movements = await gql.data(
        """query($l: ID!) { stockMovements(first: 5, locationId: $l) { nodes { type deltaOnHand enteredQuantity enteredUnit } } }""",
        {"l": location},
    )
    material = await gql.data(
        "query($m: ID!) { material(id: $m) { averageUnitCost } }", {"m": milk}
    )

    assert received["purchaseOrderReceive"]["userErrors"] == []
    [line] = received["purchaseOrderReceive"]["purchaseOrder"]["lines"]
    # 4 bottles are 3000 ml, a third of a case (shown rounded once in cases).
    assert line["quantityReceivedBase"] == "3000"
    assert line["quantityReceived"] == "0.333333"
    assert line["unitCost"] == "19.2"
    assert movements["stockMovements"]["nodes"] == [
        {
            "type": "PURCHASE_RECEIPT",
            "deltaOnHand": "3000",
            "enteredQuantity": "4",
            "enteredUnit": "bottle",
        }
    ]
    # 6.40 for 3000 ml.
    assert Decimal(material["material"]["averageUnitCost"]) == Decimal("0.002133333333")
    assert await _milk_on_hand(sessions, location) == Decimal(3000)
    async with sessions() as session:
        [payload] = (
            (
                await session.execute(
                    select(t.outbox_event.c.payload).where(
                        t.outbox_event.c.topic == topics.PURCHASE_ORDER_RECEIVED
                    )
                )
            )
            .scalars()
            .all()
        )
    [event_line] = payload["lines"]
    assert (event_line["unit"], event_line["quantityReceived"], event_line["lineTotal"]) == (
        "case",
        "0.333333",
        "6.4",
    )


async def test_three_receipts_of_four_bottles_are_one_case(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    milk = await _milk(gql)
    created, location = await _order(
        gql,
        sessions,
        [
            _line(milk, "4", "1.5", "bottle"),
            _line(milk, "4", "1.5", "bottle"),
            _line(milk, "4", "1.5", "bottle"),
        ],
    )

    received = await gql.data(RECEIVE, {"id": created["purchaseOrder"]["id"]})
    stock = await gql.data(
        """query($l: ID!) { stocks(first: 1, locationId: $l) { nodes { onHand cases: onHandIn(unit: "case") } } }""",
        {"l": location},
    )

    assert [
        ln["quantityReceived"] for ln in received["purchaseOrderReceive"]["purchaseOrder"]["lines"]
    ] == ["4", "4", "4"]
    assert stock["stocks"]["nodes"] == [{"onHand": "9000", "cases": "1"}]


async def test_970_kg_received_is_970000_g(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    flour = global_id("Material", await seed.material(sessions, MERCHANT_A, "Flour", "g"))
    created, location = await _order(gql, sessions, [_line(flour, "970", "0.85", "kg")])

    await gql.data(RECEIVE, {"id": created["purchaseOrder"]["id"]})
    stock = await gql.data(
        """query($l: ID!) { stocks(first: 1, locationId: $l) { nodes { onHand kg: onHandIn(unit: "KG") } } }""",
        {"l": location},
    )
    cost = await gql.data("query($m: ID!) { material(id: $m) { averageUnitCost } }", {"m": flour})

    assert stock["stocks"]["nodes"] == [{"onHand": "970000", "kg": "970"}]
    # 970 x 0.85 = 824.50 for 970000 g.
    assert cost["material"]["averageUnitCost"] == "0.00085"
