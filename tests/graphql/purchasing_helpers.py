# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Shared steps of the purchasing tests: a material bought in cases, orders placed,
received and read back through the schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.kafka import topics
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ERRORS = "userErrors { field message code }"
LINES = "lines { id unit quantityOrdered quantityReceived unitCost quantityOrderedBase }"
ORDER = f"id number status currency vendor {{ id name }} {LINES} backorder {{ id number status {LINES} }} backorderOf {{ id }}"
CREATE = f"""mutation($i: PurchaseOrderInput!) {{ purchaseOrderCreate(input: $i) {{
    purchaseOrder {{ {ORDER} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: PurchaseOrderUpdateInput!) {{ purchaseOrderUpdate(id: $id, input: $i) {{
    purchaseOrder {{ {ORDER} }} {ERRORS} }} }}"""
SUBMIT = f"""mutation($id: ID!) {{ purchaseOrderSubmit(id: $id) {{
    purchaseOrder {{ {ORDER} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $i: PurchaseOrderReceiveInput) {{ purchaseOrderReceive(id: $id, input: $i) {{
    purchaseOrder {{ {ORDER} }} {ERRORS} }} }}"""
CREATE_MATERIAL = f"""mutation($i: MaterialInput!) {{ materialCreate(input: $i) {{
    material {{ id }} {ERRORS} }} }}"""
STOCKS = """query($l: ID) { stocks(first: 50, locationId: $l) { nodes {
    id onHand available incoming parLevel reorderPoint item { ... on Material { name } } } } }"""


async def material_in_cases(gql: Gql, name: str = "Oat milk", case: str = "6") -> str:
    """A material counted in litres, bought in cases of `case` litres."""
    data = await gql.data(
        CREATE_MATERIAL,
        {
            "i": {
                "name": name,
                "unit": "l",
                "units": [{"name": "case", "quantity": case, "unit": "l"}],
            }
        },
    )
    assert data["materialCreate"]["userErrors"] == []
    material_id: str = data["materialCreate"]["material"]["id"]
    return material_id


async def place(
    gql: Gql,
    location: str,
    vendor: str,
    lines: list[dict[str, Any]],
    *,
    status: str | None = None,
    currency: str = "EUR",
) -> Any:
    given: dict[str, Any] = {
        "locationId": location,
        "vendorId": vendor,
        "currency": currency,
        "lines": lines,
    }
    if status is not None:
        given["status"] = status
    return (await gql.data(CREATE, {"i": given}))["purchaseOrderCreate"]


def line(material: str, quantity: str, cost: str, unit: str | None = None) -> dict[str, Any]:
    given = {
        "itemType": "MATERIAL",
        "itemId": material,
        "quantityOrdered": quantity,
        "unitCost": cost,
    }
    if unit is not None:
        given["unit"] = unit
    return given


async def receive(gql: Gql, order_id: str, given: dict[str, Any] | None = None) -> Any:
    return (await gql.data(RECEIVE, {"id": order_id, "i": given}))["purchaseOrderReceive"]


async def stocks_by_name(gql: Gql, location: str) -> dict[str, Any]:
    nodes = (await gql.data(STOCKS, {"l": location}))["stocks"]["nodes"]
    return {node["item"]["name"]: node for node in nodes}


async def shop(
    sessions: async_sessionmaker[AsyncSession], vendor: str = "Dairy Co"
) -> tuple[str, str]:
    """(location id, vendor id) of merchant A, as GraphQL ids."""
    location = await seed.location(sessions, MERCHANT_A)
    vendor_id = await seed.vendor(sessions, MERCHANT_A, vendor)
    return global_id("Location", location), global_id("Vendor", vendor_id)


async def received_events(sessions: async_sessionmaker[AsyncSession]) -> list[Any]:
    """The purchase-order.received payloads staged so far, oldest first."""
    async with sessions() as session:
        return list(
            (
                await session.execute(
                    select(t.outbox_event.c.payload)
                    .where(t.outbox_event.c.topic == topics.PURCHASE_ORDER_RECEIVED)
                    .order_by(t.outbox_event.c.seq)
                )
            )
            .scalars()
            .all()
        )
