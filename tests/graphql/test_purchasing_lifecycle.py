# ruff: noqa: E501  (GraphQL documents read better on one line)
"""The purchase order lifecycle of purchasing-and-valuation.graphql: DRAFT on request (not
incoming), edited while DRAFT, submitted, received once with the rest on a backorder;
vendors edited and archived; one purchase currency per merchant."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id, parse_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql
from tests.graphql.purchasing_helpers import (
    ERRORS,
    SUBMIT,
    UPDATE,
    line,
    material_in_cases,
    place,
    receive,
    received_events,
    shop,
    stocks_by_name,
)


async def test_a_draft_is_not_incoming_until_submitted_and_is_edited_only_while_draft(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    other_vendor = global_id("Vendor", await seed.vendor(sessions, MERCHANT_A, "Farm"))

    draft = await place(gql, location, vendor, [line(oat, "2", "9", "case")], status="DRAFT")
    order = draft["purchaseOrder"]
    assert draft["userErrors"] == []
    assert order["status"] == "DRAFT"
    assert (await stocks_by_name(gql, location)) == {}  # nothing incoming, no stock made

    edited = (
        await gql.data(
            UPDATE,
            {
                "id": order["id"],
                "i": {"vendorId": other_vendor, "lines": [line(oat, "3", "9", "case")]},
            },
        )
    )["purchaseOrderUpdate"]
    assert edited["userErrors"] == []
    assert edited["purchaseOrder"]["vendor"]["name"] == "Farm"
    # Lines replaced: 3 cases of 6 l = 18 l.
    assert [
        (ln["quantityOrdered"], ln["unit"], ln["quantityOrderedBase"])
        for ln in edited["purchaseOrder"]["lines"]
    ] == [("3", "case", "18")]

    submitted = (await gql.data(SUBMIT, {"id": order["id"]}))["purchaseOrderSubmit"]
    assert submitted["userErrors"] == []
    assert submitted["purchaseOrder"]["status"] == "ORDERED"
    # Now incoming: the 18 l ordered. (The stock row exists once something references it.)
    location_pk, oat_pk = parse_id(location, "Location"), parse_id(oat, "Material")
    assert location_pk is not None
    assert oat_pk is not None
    await seed.stock(sessions, MERCHANT_A, location_pk, ItemType.MATERIAL, oat_pk)
    assert (await stocks_by_name(gql, location))["Oat milk"]["incoming"] == "18"

    again = (await gql.data(UPDATE, {"id": order["id"], "i": {"number": "X-1"}}))[
        "purchaseOrderUpdate"
    ]
    resubmitted = (await gql.data(SUBMIT, {"id": order["id"]}))["purchaseOrderSubmit"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["id"], "INVALID_STATE")]
    assert again["purchaseOrder"] is None
    assert [(e["field"], e["code"]) for e in resubmitted["userErrors"]] == [
        (["id"], "INVALID_STATE")
    ]


async def test_a_short_receipt_with_backorder_puts_the_rest_on_a_new_ordered_order(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    beans = await material_in_cases(gql, "Beans", case="1")
    order = (
        await place(gql, location, vendor, [line(oat, "5", "9", "case"), line(beans, "4", "20")])
    )["purchaseOrder"]
    oat_line, beans_line = (ln["id"] for ln in order["lines"])

    # 3 of 5 cases, all 4 beans, paid: the rest is 2 cases of oat milk.
    received = await receive(
        gql,
        order["id"],
        {
            "lines": [
                {"lineId": oat_line, "quantityReceived": "3"},
                {"lineId": beans_line, "quantityReceived": "4"},
            ],
            "payments": [{"method": "CASH", "amount": "107"}],
            "backorder": True,
        },
    )

    assert received["userErrors"] == []
    first = received["purchaseOrder"]
    assert first["status"] == "RECEIVED"
    backorder = first["backorder"]
    assert backorder["status"] == "ORDERED"
    assert backorder["number"] != first["number"]
    # 5 - 3 = 2 cases = 12 l, at the line's 9 a case.
    assert [
        (ln["quantityOrdered"], ln["unit"], ln["unitCost"], ln["quantityOrderedBase"])
        for ln in backorder["lines"]
    ] == [("2", "case", "9", "12")]
    stocks = await stocks_by_name(gql, location)
    assert (stocks["Oat milk"]["onHand"], stocks["Oat milk"]["incoming"]) == ("18", "12")
    assert (stocks["Beans"]["onHand"], stocks["Beans"]["incoming"]) == ("4", "0")

    # The backorder is received on its own, once; each receipt is one event for finance.
    rest = await receive(gql, backorder["id"], {"payments": [{"method": "CASH", "amount": "18"}]})
    twice = await receive(gql, order["id"])
    assert rest["purchaseOrder"]["status"] == "RECEIVED"
    assert rest["purchaseOrder"]["backorderOf"] == {"id": order["id"]}
    assert rest["purchaseOrder"]["backorder"] is None
    assert [(e["field"], e["code"]) for e in twice["userErrors"]] == [(["id"], "INVALID_STATE")]
    events = await received_events(sessions)
    assert [e["purchaseOrderId"] for e in events] == [
        str(parse_id(order["id"], "PurchaseOrder")),
        str(parse_id(backorder["id"], "PurchaseOrder")),
    ]
    assert [e["subtotal"] for e in events] == ["107", "18"]  # 3 x 9 + 4 x 20; 2 x 9
    stocks = await stocks_by_name(gql, location)
    assert (stocks["Oat milk"]["onHand"], stocks["Oat milk"]["incoming"]) == ("30", "0")


async def test_a_short_receipt_without_backorder_is_closed_short(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    order = (await place(gql, location, vendor, [line(oat, "5", "9", "case")]))["purchaseOrder"]

    received = await receive(
        gql, order["id"], {"lines": [{"lineId": order["lines"][0]["id"], "quantityReceived": "1"}]}
    )

    assert received["purchaseOrder"]["status"] == "RECEIVED"
    assert received["purchaseOrder"]["backorder"] is None
    stocks = await stocks_by_name(gql, location)
    assert (stocks["Oat milk"]["onHand"], stocks["Oat milk"]["incoming"]) == ("6", "0")


async def test_a_draft_cannot_be_received(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    draft = (await place(gql, location, vendor, [line(oat, "1", "9")], status="DRAFT"))[
        "purchaseOrder"
    ]

    refused = await receive(gql, draft["id"])
    bad_status = await gql.data(
        """mutation($i: PurchaseOrderInput!) { purchaseOrderCreate(input: $i) { userErrors { field code } } }""",
        {
            "i": {
                "locationId": location,
                "vendorId": vendor,
                "currency": "EUR",
                "status": "RECEIVED",
                "lines": [line(oat, "1", "9")],
            }
        },
    )

    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["id"], "INVALID_STATE")]
    assert bad_status["purchaseOrderCreate"]["userErrors"] == [
        {"field": ["input", "status"], "code": "INVALID"}
    ]


async def test_vendors_are_edited_and_an_archived_vendor_takes_no_new_order(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    draft = (await place(gql, location, vendor, [line(oat, "1", "9")], status="DRAFT"))[
        "purchaseOrder"
    ]
    vendor_fields = "vendor { name email phone archived }"

    updated = await gql.data(
        f"""mutation($id: ID!, $i: VendorUpdateInput!) {{ vendorUpdate(id: $id, input: $i) {{ {vendor_fields} {ERRORS} }} }}""",
        {"id": vendor, "i": {"email": "orders@dairy.example", "phone": "555"}},
    )
    cleared = await gql.data(
        f"""mutation($id: ID!) {{ vendorUpdate(id: $id, input: {{ phone: null }}) {{ {vendor_fields} {ERRORS} }} }}""",
        {"id": vendor},
    )
    invalid = await gql.data(
        f"""mutation($id: ID!) {{ vendorUpdate(id: $id, input: {{ name: " ", email: "nope" }}) {{ {vendor_fields} {ERRORS} }} }}""",
        {"id": vendor},
    )
    archived = await gql.data(
        f"""mutation($id: ID!) {{ vendorArchive(id: $id) {{ {vendor_fields} {ERRORS} }} }}""",
        {"id": vendor},
    )
    refused = await place(gql, location, vendor, [line(oat, "1", "9")])
    not_submitted = (await gql.data(SUBMIT, {"id": draft["id"]}))["purchaseOrderSubmit"]

    assert updated["vendorUpdate"]["vendor"] == {
        "name": "Dairy Co",
        "email": "orders@dairy.example",
        "phone": "555",
        "archived": False,
    }
    assert cleared["vendorUpdate"]["vendor"]["phone"] is None
    assert cleared["vendorUpdate"]["vendor"]["email"] == "orders@dairy.example"
    assert {(tuple(e["field"]), e["code"]) for e in invalid["vendorUpdate"]["userErrors"]} == {
        (("input", "name"), "REQUIRED"),
        (("input", "email"), "INVALID"),
    }
    assert archived["vendorArchive"]["vendor"]["archived"] is True
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "vendorId"], "ARCHIVED")
    ]
    assert [(e["field"], e["code"]) for e in not_submitted["userErrors"]] == [(["id"], "ARCHIVED")]


async def test_one_purchase_currency_per_merchant(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql)
    other_location = global_id("Location", await seed.location(sessions, MERCHANT_A, "Kiosk"))

    first = await place(gql, location, vendor, [line(oat, "1", "9")], currency="EUR")
    other = await place(gql, other_location, vendor, [line(oat, "1", "10")], currency="USD")
    same = await place(gql, other_location, vendor, [line(oat, "1", "10")], currency="EUR")

    assert first["userErrors"] == []
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [
        (["input", "currency"], "INVALID")
    ]
    assert "EUR" in other["userErrors"][0]["message"]
    assert same["userErrors"] == []
    assert Decimal(same["purchaseOrder"]["lines"][0]["unitCost"]) == Decimal(10)
