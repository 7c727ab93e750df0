"""GET stocks, locations and movements: the wire shape, filters, pages and tenancy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.rest import seed
from tests.rest.conftest import MERCHANT_B, Api, error_of, fields_of

Sessions = async_sessionmaker[AsyncSession]

STOCK_KEYS = {
    "id", "locationId", "itemType", "materialId", "productVariantId", "onHand", "reserved",
    "available", "incoming", "unit", "lowStockThreshold", "lowStock", "version", "updatedAt",
}  # fmt: skip


async def test_a_stock_has_exactly_the_contract_shape(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    milk = await seed.material(sessions, "Milk", unit="ml")
    stock_id = await seed.material_stock(sessions, main, milk, "1250.000", threshold="1300")
    await seed.purchase_order(sessions, main, [(milk, "40", "0.5")])

    response = await api.get("/stocks")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nextCursor"] is None
    (stock,) = body["items"]
    assert set(stock) == STOCK_KEYS
    assert stock["id"] == str(stock_id)
    assert (stock["locationId"], stock["itemType"], stock["materialId"]) == (
        str(main),
        "MATERIAL",
        str(milk),
    )
    assert stock["productVariantId"] is None
    assert (stock["onHand"], stock["reserved"], stock["available"]) == ("1250", "0", "1250")
    assert (stock["incoming"], stock["unit"]) == ("40", "ml")
    assert (stock["lowStockThreshold"], stock["lowStock"]) == ("1300", True)
    assert stock["version"] == 1
    assert stock["updatedAt"].endswith("Z")
    assert datetime.fromisoformat(stock["updatedAt"]) > datetime.now(UTC) - timedelta(minutes=1)


async def test_stock_filters(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    bar = await seed.location(sessions, "Bar")
    milk, beans = await seed.material(sessions, "Milk"), await seed.material(sessions, "Beans")
    await seed.material_stock(sessions, main, milk, "10", threshold="20")
    await seed.material_stock(sessions, bar, milk, "30", threshold="20")
    await seed.material_stock(sessions, main, beans, "5")
    variant = uuid.uuid4()
    await api.post(
        "/product-variants",
        json={
            "productVariantId": str(variant),
            "name": "Cookie",
            "trackInventory": True,
            "initialStocks": [{"locationId": str(bar), "quantity": "3"}],
        },
    )

    async def listed(**params: str) -> list[tuple[str, str]]:
        response = await api.get("/stocks", params=params)
        assert response.status_code == 200, response.text
        return sorted((s["locationId"], s["materialId"] or s["productVariantId"]) for s in
                      response.json()["items"])  # fmt: skip

    assert len(await listed()) == 4
    assert await listed(locationId=str(bar)) == sorted(
        [(str(bar), str(milk)), (str(bar), str(variant))]
    )
    assert await listed(materialId=str(beans)) == [(str(main), str(beans))]
    assert await listed(productVariantId=str(variant)) == [(str(bar), str(variant))]
    assert await listed(itemType="PRODUCT") == [(str(bar), str(variant))]
    assert await listed(lowStockOnly="true") == [(str(main), str(milk))]


async def test_pages_follow_next_cursor_without_gaps_or_repeats(
    api: Api, sessions: Sessions
) -> None:
    main = await seed.location(sessions, "Main")
    for i in range(5):
        await seed.material_stock(sessions, main, await seed.material(sessions, f"m{i}"), "1")

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        body = (await api.get("/stocks", params=params)).json()
        seen += [s["id"] for s in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen)  # UUIDv7: creation order


async def test_bad_page_and_filter_input_is_400_naming_the_parameter(api: Api) -> None:
    too_many = await api.get("/stocks", params={"limit": "501"})
    zero = await api.get("/stocks", params={"limit": "0"})
    cursor = await api.get("/stocks", params={"cursor": "bm90LWEtY3Vyc29y"})
    item_type = await api.get("/stocks", params={"itemType": "GADGET"})
    location = await api.get("/stocks", params={"locationId": "42"})
    since = await api.get("/movements", params={"since": "yesterday"})

    for response, field in [
        (too_many, ["limit"]),
        (zero, ["limit"]),
        (cursor, ["cursor"]),
        (item_type, ["itemType"]),
        (location, ["locationId"]),
        (since, ["since"]),
    ]:
        assert response.status_code == 400, response.text
        assert error_of(response)["code"] == "INVALID"
        assert fields_of(response) == [field]


async def test_locations_are_the_merchants_own(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    await seed.location(sessions, "Theirs", merchant_id=MERCHANT_B)

    response = await api.get("/locations")

    assert response.status_code == 200
    (only,) = response.json()["items"]
    assert (only["id"], only["name"], only["isDefault"], only["archived"]) == (
        str(main),
        "Main",
        False,
        False,
    )


async def test_movements_filter_by_stock_and_reference(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    milk, beans = await seed.material(sessions, "Milk"), await seed.material(sessions, "Beans")
    milk_stock = await seed.material_stock(sessions, main, milk, "10")
    await seed.material_stock(sessions, main, beans, "4")
    order = await seed.purchase_order(sessions, main, [(milk, "6", "1")])
    await api.post(f"/purchase-orders/{order}/receive", json={})

    by_stock = (await api.get("/movements", params={"stockId": str(milk_stock)})).json()
    by_receipt = (
        await api.get("/movements", params={"referenceType": "POREC", "referenceId": str(order)})
    ).json()
    since_future = (await api.get("/movements", params={"since": "2999-01-01T00:00:00Z"})).json()

    assert [(m["type"], m["deltaOnHand"], m["onHandAfter"]) for m in by_stock["items"]] == [
        ("ADJUSTMENT", "10", "10"),
        ("PURCHASE_RECEIPT", "6", "16"),
    ]
    (receipt,) = by_receipt["items"]
    assert (receipt["stockId"], receipt["actor"]) == (str(milk_stock), "user:rest-tester")
    assert since_future == {"items": [], "nextCursor": None}


async def test_another_merchants_data_is_invisible(api: Api, sessions: Sessions) -> None:
    theirs = await seed.location(sessions, "Theirs", merchant_id=MERCHANT_B)
    milk = await seed.material(sessions, "Milk", merchant_id=MERCHANT_B)
    stock = await seed.material_stock(sessions, theirs, milk, "3", merchant_id=MERCHANT_B)

    stocks = (await api.get("/stocks")).json()
    movements = (await api.get("/movements", params={"stockId": str(stock)})).json()
    by_header = await api.get("/stocks", headers={"X-Merchant-ID": str(MERCHANT_B)})

    assert stocks["items"] == movements["items"] == []
    assert by_header.status_code == 404
    assert fields_of(by_header) == [["X-Merchant-ID"]]


async def test_service_token_reads_the_merchant_it_names(api: Api, sessions: Sessions) -> None:
    theirs = await seed.location(sessions, "Theirs", merchant_id=MERCHANT_B)
    token = api.service_token()

    named = await api.get("/locations", token=token, headers={"X-Merchant-ID": str(MERCHANT_B)})
    unnamed = await api.get("/locations", token=token)
    malformed = await api.get("/locations", token=token, headers={"X-Merchant-ID": "b"})

    assert [loc["id"] for loc in named.json()["items"]] == [str(theirs)]
    assert unnamed.status_code == 400
    assert fields_of(unnamed) == [["X-Merchant-ID"]]
    assert malformed.status_code == 400


async def test_reads_need_inventory_read(api: Api) -> None:
    kitchen = await api.get("/stocks", role="kitchen")
    unknown_role = await api.get("/stocks", role="intern")

    assert kitchen.status_code == 200
    assert unknown_role.status_code == 403
