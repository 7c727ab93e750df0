"""POST /v1/api/inventory/purchase-orders/{id}/receive over the receipt service."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.rest import seed
from tests.rest.conftest import MERCHANT_B, Api, error_of, fields_of

Sessions = async_sessionmaker[AsyncSession]


async def _order(sessions: Sessions) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    main = await seed.location(sessions, "Main")
    milk = await seed.material(sessions, "Milk", unit="ml")
    order = await seed.purchase_order(sessions, main, [(milk, "10", "2"), (milk, "5", "3")])
    return order, milk, await seed.line_ids(sessions, order)


async def test_receive_lines_and_payments(api: Api, sessions: Sessions) -> None:
    order, milk, (first, second) = await _order(sessions)
    body = {
        "lines": [
            {"lineId": str(first), "quantityReceived": "8", "unitCost": "2.5"},
            {"lineId": str(second), "quantityReceived": "5"},
        ],
        "payments": [{"method": "CASH", "amount": "35", "paidAt": "2026-11-22T12:00:00Z"}],
    }

    response = await api.post(f"/purchase-orders/{order}/receive", json=body)

    assert response.status_code == 200, response.text
    received = response.json()
    assert (received["id"], received["status"]) == (str(order), "RECEIVED")
    assert received["receivedBy"] == "user:rest-tester"
    assert [(line["quantityReceived"], line["unitCost"]) for line in received["lines"]] == [
        ("8", "2.5"),
        ("5", "3"),
    ]
    assert [(p["method"], p["amount"]) for p in received["payments"]] == [("CASH", "35")]
    stock = (await api.get("/stocks", params={"materialId": str(milk)})).json()["items"][0]
    assert (stock["onHand"], stock["incoming"]) == ("13", "0")
    assert await seed.count(sessions, "outbox_event") >= 1


async def test_a_received_order_is_409_invalid_state(api: Api, sessions: Sessions) -> None:
    order, _, _ = await _order(sessions)
    await api.post(f"/purchase-orders/{order}/receive")

    again = await api.post(f"/purchase-orders/{order}/receive")

    assert again.status_code == 409
    error = error_of(again)
    assert error["code"] == "INVALID_STATE"
    assert error["details"][0]["field"] == ["purchaseOrderId"]


async def test_idempotency_key_replays_the_receipt(api: Api, sessions: Sessions) -> None:
    order, milk, _ = await _order(sessions)
    key = {"Idempotency-Key": "receive-1"}

    first = await api.post(f"/purchase-orders/{order}/receive", json={}, headers=key)
    replay = await api.post(f"/purchase-orders/{order}/receive", json={}, headers=key)
    mismatch = await api.post(
        f"/purchase-orders/{order}/receive",
        json={"payments": [{"method": "CARD", "amount": "1"}]},
        headers=key,
    )

    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.json() == first.json()
    assert error_of(mismatch)["code"] == "IDEMPOTENCY_KEY_MISMATCH"
    stock = (await api.get("/stocks", params={"materialId": str(milk)})).json()["items"][0]
    assert stock["onHand"] == "15"


async def test_another_merchants_order_is_404(api: Api, sessions: Sessions) -> None:
    theirs = await seed.location(sessions, "Theirs", merchant_id=MERCHANT_B)
    milk = await seed.material(sessions, "Milk", merchant_id=MERCHANT_B)
    order = await seed.purchase_order(sessions, theirs, [(milk, "1", "1")], merchant_id=MERCHANT_B)

    response = await api.post(f"/purchase-orders/{order}/receive")
    unknown = await api.post(f"/purchase-orders/{uuid.uuid4()}/receive")

    assert response.status_code == unknown.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert await seed.count(sessions, "stock_movement") == 0


async def test_bad_lines_are_reported_together_and_nothing_moves(
    api: Api, sessions: Sessions
) -> None:
    order, _, (first, _) = await _order(sessions)
    body = {
        "lines": [
            {"lineId": str(first), "quantityReceived": "1"},
            {"lineId": str(uuid.uuid4()), "quantityReceived": "1"},
        ],
        "payments": [{"method": "CASH", "amount": "0"}],
    }

    response = await api.post(f"/purchase-orders/{order}/receive", json=body)

    assert response.status_code == 400, response.text
    assert sorted(map(str, fields_of(response))) == sorted(
        map(str, [["lines", 1, "lineId"], ["payments", 0, "amount"]])
    )
    assert await seed.count(sessions, "stock_movement") == 0


async def test_malformed_quantities_and_times_are_400(api: Api, sessions: Sessions) -> None:
    order, _, (first, _) = await _order(sessions)
    body = {
        "lines": [{"lineId": str(first), "quantityReceived": "-2", "unitCost": "1e3"}],
        "payments": [{"method": "CASH", "amount": "5", "paidAt": "2026-11-22T12:00:00"}],
    }

    response = await api.post(f"/purchase-orders/{order}/receive", json=body)

    assert response.status_code == 400
    assert sorted(map(str, fields_of(response))) == sorted(
        map(
            str,
            [
                ["lines", 0, "quantityReceived"],
                ["lines", 0, "unitCost"],
                ["payments", 0, "paidAt"],
            ],
        )
    )


async def test_receiving_needs_the_receive_action(api: Api, sessions: Sessions) -> None:
    order, _, _ = await _order(sessions)

    cashier = await api.post(f"/purchase-orders/{order}/receive", role="cashier")
    service = await api.post(f"/purchase-orders/{order}/receive", token=api.service_token())

    assert cashier.status_code == service.status_code == 403
    assert await seed.count(sessions, "stock_movement") == 0


async def test_receive_lines_in_another_unit(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    milk = await seed.material(sessions, "Milk", unit="ml")
    order = await seed.purchase_order(sessions, main, [(milk, "3000", "0.002")])
    [line] = await seed.line_ids(sessions, order)
    body = {
        "lines": [{"lineId": str(line), "quantityReceived": "2.5", "unit": "L", "unitCost": "2"}]
    }

    other = await seed.purchase_order(sessions, main, [(milk, "1", "1")])
    [other_line] = await seed.line_ids(sessions, other)

    response = await api.post(f"/purchase-orders/{order}/receive", json=body)
    mismatch = await api.post(
        f"/purchase-orders/{other}/receive",
        json={"lines": [{"lineId": str(other_line), "quantityReceived": "1", "unit": "kg"}]},
    )

    assert response.status_code == 200, response.text
    [received] = response.json()["lines"]
    assert (received["quantityReceived"], received["quantityReceivedBase"]) == ("2500", "2500")
    assert received["unitCost"] == "0.002"
    stock = (await api.get("/stocks", params={"materialId": str(milk)})).json()["items"][0]
    assert stock["onHand"] == "2500"
    assert mismatch.status_code == 400
    assert error_of(mismatch)["details"] == [
        {
            "field": ["lines", 0, "unit"],
            "message": "kg does not convert to ml for this item",
            "code": "UNIT_MISMATCH",
        }
    ]
