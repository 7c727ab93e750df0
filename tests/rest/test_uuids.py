"""One id across GraphQL, events and /v1: each Node's `uuid` (and a purchase order line's) is
the id that the events and the /v1 bodies carry for the same object, and every ID argument
and ID input field accepts that bare UUID as well as the global id."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from tests.rest.conftest import Api

Sessions = async_sessionmaker[AsyncSession]
ERRORS = "userErrors { field code }"


async def graphql(api: Api, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = await api.client.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {api.token()}"},
    )
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]


async def mutate(api: Api, name: str, query: str, variables: dict[str, Any]) -> Any:
    payload = (await graphql(api, query, variables))[name]
    assert payload["userErrors"] == [], payload
    return payload


async def staged(sessions: Sessions, topic: str) -> list[dict[str, Any]]:
    """Payloads of the events staged on `topic`, in commit order."""
    query = select(t.outbox_event.c.payload).where(t.outbox_event.c.topic == topic)
    async with sessions() as session:
        rows = (await session.execute(query.order_by(t.outbox_event.c.seq))).scalars()
        return [dict(row) for row in rows]


async def test_location_uuid_is_the_v1_location_id(api: Api) -> None:
    created = await mutate(
        api,
        "locationCreate",
        f"""mutation {{ locationCreate(input: {{name: "Bar"}}) {{
              location {{ id uuid }} {ERRORS} }} }}""",
        {},
    )
    listed = await api.get("/locations")
    by_uuid = await graphql(
        api,
        "query($id: ID!) { location(id: $id) { id } node(id: $id) { id } }",
        {"id": created["location"]["uuid"]},
    )

    location = created["location"]
    assert [row["id"] for row in listed.json()["items"]] == [location["uuid"]]
    assert by_uuid == {"location": {"id": location["id"]}, "node": {"id": location["id"]}}


async def test_item_stock_and_movement_uuids_are_the_v1_and_event_ids(
    api: Api, sessions: Sessions
) -> None:
    made = await graphql(
        api, 'mutation { locationCreate(input: {name: "Main"}) { location { uuid } } }'
    )
    main = made["locationCreate"]["location"]["uuid"]
    variant = uuid.uuid4()
    body = {
        "productVariantId": str(variant),
        "name": "Cookie",
        "trackInventory": True,
        "initialStocks": [{"locationId": main, "quantity": "7"}],
    }
    created = (await api.post("/product-variants", json=body)).json()
    shown = await graphql(
        api,
        """query($v: ID!) { inventoryItem(productVariantId: $v) { uuid
             stocks { uuid movements { nodes { uuid } } } } }""",
        {"v": str(variant)},
    )
    events = await staged(sessions, "inventory.stock-changed")

    item = shown["inventoryItem"]
    [stock] = item["stocks"]
    [movement] = stock["movements"]["nodes"]
    [event] = events
    assert item["uuid"] == created["id"]
    assert stock["uuid"] == created["stocks"][0]["id"] == event["stockId"]
    assert main == created["stocks"][0]["locationId"] == event["locationId"]
    assert movement["uuid"] == event["eventId"] == event["movement"]["id"]


async def test_material_stock_uuids_are_the_event_ids_and_bare_uuids_name_the_stock(
    api: Api, sessions: Sessions
) -> None:
    made = await graphql(
        api,
        """mutation { locationCreate(input: {name: "Main"}) { location { uuid } }
                      materialCreate(input: {name: "Milk", unit: "ml"}) { material { uuid } } }""",
    )
    ref = {
        "locationId": made["locationCreate"]["location"]["uuid"],
        "itemType": "MATERIAL",
        "itemId": made["materialCreate"]["material"]["uuid"],
    }
    adjusted = await mutate(
        api,
        "stockAdjust",
        f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{
              stock {{ uuid }} movement {{ uuid }} {ERRORS} }} }}""",
        {"i": {"stock": ref, "delta": "500", "reason": "delivery"}},
    )
    by_stock_uuid = await mutate(
        api,
        "stockAdjust",
        f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{
              stock {{ onHand }} movement {{ uuid }} {ERRORS} }} }}""",
        {"i": {"stock": {"stockId": adjusted["stock"]["uuid"]}, "delta": "-20", "reason": "spill"}},
    )
    events = await staged(sessions, "material.stock-changed")

    assert [e["materialId"] for e in events] == [ref["itemId"]] * 2
    assert [e["stockId"] for e in events] == [adjusted["stock"]["uuid"]] * 2
    assert [e["eventId"] for e in events] == [
        adjusted["movement"]["uuid"],
        by_stock_uuid["movement"]["uuid"],
    ]
    assert by_stock_uuid["stock"] == {"onHand": "480"}


async def test_purchase_order_and_line_uuids_are_the_received_event_ids(
    api: Api, sessions: Sessions
) -> None:
    made = await graphql(
        api,
        """mutation { locationCreate(input: {name: "Main"}) { location { uuid } }
                      materialCreate(input: {name: "Flour", unit: "g"}) { material { uuid } }
                      vendorCreate(input: {name: "Mill"}) { vendor { uuid } } }""",
    )
    order_input = {  # every id bare
        "locationId": made["locationCreate"]["location"]["uuid"],
        "vendorId": made["vendorCreate"]["vendor"]["uuid"],
        "currency": "EUR",
        "lines": [
            {
                "itemType": "MATERIAL",
                "itemId": made["materialCreate"]["material"]["uuid"],
                "quantityOrdered": "25",
                "unitCost": "1.20",
            }
        ],
    }
    created = await mutate(
        api,
        "purchaseOrderCreate",
        f"""mutation($i: PurchaseOrderInput!) {{ purchaseOrderCreate(input: $i) {{
              purchaseOrder {{ uuid lines {{ uuid }} }} {ERRORS} }} }}""",
        {"i": order_input},
    )
    order = created["purchaseOrder"]
    received = await mutate(
        api,
        "purchaseOrderReceive",
        f"""mutation($id: ID!, $i: PurchaseOrderReceiveInput) {{
              purchaseOrderReceive(id: $id, input: $i) {{
                purchaseOrder {{ status }} {ERRORS} }} }}""",
        {
            "id": order["uuid"],
            "i": {
                "lines": [{"lineId": order["lines"][0]["uuid"], "quantityReceived": "20"}],
                "payments": [{"method": "cash", "amount": "24.00"}],
            },
        },
    )
    [event] = await staged(sessions, "purchase-order.received")

    assert received["purchaseOrder"] == {"status": "RECEIVED"}
    assert event["purchaseOrderId"] == order["uuid"]
    assert [line["lineId"] for line in event["lines"]] == [order["lines"][0]["uuid"]]
    assert event["vendor"]["id"] == order_input["vendorId"]
    assert event["locationId"] == order_input["locationId"]


async def test_transfer_uuid_is_the_transferred_event_id(api: Api, sessions: Sessions) -> None:
    made = await graphql(
        api,
        """mutation { store: locationCreate(input: {name: "Store"}) { location { uuid } }
                      bar: locationCreate(input: {name: "Bar"}) { location { uuid } }
                      materialCreate(input: {name: "Beans", unit: "g"}) { material { uuid } } }""",
    )
    store = made["store"]["location"]["uuid"]
    beans = made["materialCreate"]["material"]["uuid"]
    stock = {"locationId": store, "itemType": "MATERIAL", "itemId": beans}
    await mutate(
        api,
        "stockAdjust",
        f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{ {ERRORS} }} }}""",
        {"i": {"stock": stock, "delta": "100", "reason": "delivery"}},
    )
    moved = await mutate(
        api,
        "materialTransfer",
        f"""mutation($i: TransferInput!) {{ materialTransfer(input: $i) {{
              transfer {{ id uuid }} {ERRORS} }} }}""",
        {
            "i": {
                "fromLocationId": store,
                "toLocationId": made["bar"]["location"]["uuid"],
                "lines": [{"materialId": beans, "quantity": "40"}],
            }
        },
    )
    [event] = await staged(sessions, "material.transferred")
    by_uuid = await graphql(
        api, "query($id: ID!) { node(id: $id) { id } }", {"id": moved["transfer"]["uuid"]}
    )

    assert event["transferId"] == moved["transfer"]["uuid"]
    assert by_uuid == {"node": {"id": moved["transfer"]["id"]}}


async def test_a_bare_uuid_of_nothing_is_no_node(api: Api) -> None:
    found = await graphql(
        api, "query($id: ID!) { node(id: $id) { id } }", {"id": str(uuid.uuid4())}
    )

    assert found == {"node": None}
