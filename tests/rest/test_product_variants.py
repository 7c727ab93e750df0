"""POST/PUT/GET /v1/api/inventory/product-variants: the upsert commerce and CDC share."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.services.context import Actor
from app.services.inventory_items import (
    CDC_ACTOR_LABEL,
    ProductVariantUpsert,
    ensure_inventory_item,
)
from tests.rest import seed
from tests.rest.conftest import MERCHANT_A, MERCHANT_B, Api, error_of, fields_of

Sessions = async_sessionmaker[AsyncSession]


def variant_body(variant_id: uuid.UUID, **fields: object) -> dict[str, object]:
    return {"productVariantId": str(variant_id), "name": "Latte", "trackInventory": True, **fields}


async def test_create_is_201_with_initial_stocks_then_200(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    variant = uuid.uuid4()
    initial = [{"locationId": str(main), "quantity": "12.5"}]
    body = variant_body(variant, sku="LAT-1", unit="cup", initialStocks=initial)

    created = await api.post("/product-variants", json=body)
    again = await api.post("/product-variants", json=body)

    assert created.status_code == 201, created.text
    assert again.status_code == 200, again.text
    item = created.json()
    assert item["productVariantId"] == str(variant)
    assert (item["name"], item["sku"], item["unit"], item["trackInventory"]) == (
        "Latte",
        "LAT-1",
        "cup",
        True,
    )
    assert [(s["locationId"], s["onHand"], s["unit"]) for s in item["stocks"]] == [
        (str(main), "12.5", "cup")
    ]
    assert again.json()["id"] == item["id"]
    # Initial stock applies only on creation: the repeat added nothing.
    assert again.json()["stocks"][0]["onHand"] == "12.5"
    assert await seed.count(sessions, "inventory_item") == 1


async def test_get_returns_the_item_and_404_for_an_unknown_variant(api: Api) -> None:
    variant = uuid.uuid4()
    await api.post("/product-variants", json=variant_body(variant))

    found = await api.get(f"/product-variants/{variant}")
    missing = await api.get(f"/product-variants/{uuid.uuid4()}")

    assert found.status_code == 200
    assert found.json()["productVariantId"] == str(variant)
    assert found.json()["stocks"] == []
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "NOT_FOUND"


async def test_put_creates_a_missing_item_then_updates_it(api: Api) -> None:
    variant = uuid.uuid4()

    created = await api.put(f"/product-variants/{variant}", json={"name": "Mocha"})
    updated = await api.put(
        f"/product-variants/{variant}", json={"sku": "M-2", "archived": True, "unknown": 1}
    )

    assert created.status_code == 201, created.text
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == created.json()["id"]
    assert (updated.json()["name"], updated.json()["sku"], updated.json()["archived"]) == (
        "Mocha",
        "M-2",
        True,
    )


async def test_one_bad_location_writes_nothing(api: Api, sessions: Sessions) -> None:
    main = await seed.location(sessions, "Main")
    elsewhere = await seed.location(sessions, "Theirs", merchant_id=MERCHANT_B)
    body = variant_body(
        uuid.uuid4(),
        initialStocks=[
            {"locationId": str(main), "quantity": "5"},
            {"locationId": str(elsewhere), "quantity": "1"},
        ],
    )

    response = await api.post("/product-variants", json=body)

    assert response.status_code == 404, response.text
    assert fields_of(response) == [["initialStocks", 1, "locationId"]]
    for table in ("inventory_item", "stock", "stock_movement", "outbox_event"):
        assert await seed.count(sessions, table) == 0, table


async def test_validation_names_every_bad_field(api: Api) -> None:
    body = {
        "productVariantId": "not-a-uuid",
        "trackInventory": "yes",
        "initialStocks": [
            {"locationId": str(uuid.uuid4()), "quantity": "-1"},
            {"locationId": str(uuid.uuid4()), "quantity": 1.5},
            {"locationId": str(uuid.uuid4()), "quantity": "abc"},
        ],
        "somethingNew": {"ignored": True},
    }

    response = await api.post("/product-variants", json=body)

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "INVALID"
    assert sorted(map(str, fields_of(response))) == sorted(
        map(
            str,
            [
                ["productVariantId"],
                ["name"],
                ["trackInventory"],
                ["initialStocks", 0, "quantity"],
                ["initialStocks", 1, "quantity"],
                ["initialStocks", 2, "quantity"],
            ],
        )
    )


async def test_a_blank_name_is_the_services_400(api: Api, sessions: Sessions) -> None:
    response = await api.post("/product-variants", json=variant_body(uuid.uuid4(), name="  "))

    assert response.status_code == 400
    assert error_of(response)["details"] == [
        {"field": ["name"], "message": "must not be blank", "code": "REQUIRED"}
    ]
    assert await seed.count(sessions, "inventory_item") == 0


async def test_idempotency_key_replays_and_refuses_other_input(
    api: Api, sessions: Sessions
) -> None:
    variant = uuid.uuid4()
    key = {"Idempotency-Key": "create-latte-1"}

    first = await api.post("/product-variants", json=variant_body(variant), headers=key)
    replay = await api.post("/product-variants", json=variant_body(variant), headers=key)
    other = await api.post(
        "/product-variants", json=variant_body(variant, name="Other"), headers=key
    )

    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json()["id"] == first.json()["id"]
    assert other.status_code == 409
    assert error_of(other)["code"] == "IDEMPOTENCY_KEY_MISMATCH"
    assert await seed.count(sessions, "inventory_item") == 1


async def test_user_token_naming_another_merchant_is_404(api: Api, sessions: Sessions) -> None:
    response = await api.post(
        "/product-variants", json=variant_body(uuid.uuid4(), merchantId=str(MERCHANT_B))
    )

    assert response.status_code == 404
    assert fields_of(response) == [["merchantId"]]
    assert await seed.count(sessions, "inventory_item") == 0


async def test_service_token_names_the_merchant_in_the_body(api: Api, sessions: Sessions) -> None:
    variant = uuid.uuid4()
    token = api.service_token()

    created = await api.post(
        "/product-variants", json=variant_body(variant, merchantId=str(MERCHANT_B)), token=token
    )
    unnamed = await api.post("/product-variants", json=variant_body(uuid.uuid4()), token=token)
    read_back = await api.get(
        f"/product-variants/{variant}", token=token, headers={"X-Merchant-ID": str(MERCHANT_B)}
    )
    as_merchant_a = await api.get(f"/product-variants/{variant}")

    assert created.status_code == 201, created.text
    assert unnamed.status_code == 400
    assert read_back.status_code == 200
    assert as_merchant_a.status_code == 404
    async with sessions() as session:
        owner = await session.scalar(select(t.inventory_item.c.merchant_id))
    assert owner == MERCHANT_B


async def test_service_token_with_a_merchant_is_held_to_it(api: Api) -> None:
    token = api.service_token(MERCHANT_A)

    own = await api.post("/product-variants", json=variant_body(uuid.uuid4()), token=token)
    other = await api.post(
        "/product-variants",
        json=variant_body(uuid.uuid4(), merchantId=str(MERCHANT_B)),
        token=token,
    )

    assert own.status_code == 201
    assert other.status_code == 404


async def test_roles_without_sync_are_403_and_no_token_is_401(api: Api) -> None:
    body = variant_body(uuid.uuid4())

    manager = await api.post("/product-variants", json=body, role="manager")
    anonymous = await api.client.post("/v1/api/inventory/product-variants", json=body)
    forged = await api.post("/product-variants", json=body, token="not.a.jwt")

    assert manager.status_code == 403
    assert error_of(manager)["code"] == "FORBIDDEN"
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert error_of(forged)["code"] == "UNAUTHENTICATED"


async def test_route_then_cdc_converge_on_one_item(api: Api, sessions: Sessions) -> None:
    variant = uuid.uuid4()
    created = await api.post("/product-variants", json=variant_body(variant))

    await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(MERCHANT_A, variant, name="Latte (CDC)", track_inventory=False),
        actor=Actor(MERCHANT_A, CDC_ACTOR_LABEL),
        source_lsn=100,
    )

    item = (await api.get(f"/product-variants/{variant}")).json()
    assert item["id"] == created.json()["id"]
    assert (item["name"], item["trackInventory"]) == ("Latte (CDC)", False)
    assert await seed.count(sessions, "inventory_item") == 1


async def test_cdc_then_route_converge_on_one_item(api: Api, sessions: Sessions) -> None:
    variant = uuid.uuid4()
    cdc = await ensure_inventory_item(
        sessions,
        ProductVariantUpsert(MERCHANT_A, variant, name="From CDC", track_inventory=True),
        actor=Actor(MERCHANT_A, CDC_ACTOR_LABEL),
        source_lsn=100,
    )

    response = await api.post("/product-variants", json=variant_body(variant, name="From route"))

    assert response.status_code == 200
    assert response.json()["id"] == str(cdc.item_id)
    assert response.json()["name"] == "From route"
    assert await seed.count(sessions, "inventory_item") == 1
