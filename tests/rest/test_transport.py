"""What every /v1 route shares: body limits, JSON only, routing errors, request ids, 503s."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.asgi import create_app
from app.auth.dev import load_or_create_signing_key
from app.settings import Settings
from tests.rest import seed
from tests.rest.conftest import BASE, MERCHANT_A, Api, error_of, fields_of

Sessions = async_sessionmaker[AsyncSession]
LIMIT = 1024 * 1024


def _json_of_size(size: int) -> bytes:
    head, tail = b'{"productVariantId":"', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


async def test_a_body_over_the_limit_is_413(api: Api, sessions: Sessions) -> None:
    response = await api.post(
        "/product-variants",
        content=_json_of_size(LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


async def test_a_streamed_body_without_length_is_counted(api: Api, sessions: Sessions) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = _json_of_size(LIMIT + 10)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await api.post(
        "/product-variants", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await seed.count(sessions, "inventory_item") == 0


async def test_a_body_at_the_limit_is_read(api: Api) -> None:
    response = await api.post(
        "/product-variants",
        content=_json_of_size(LIMIT),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert ["productVariantId"] in fields_of(response)


async def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    form = await api.post("/product-variants", content=b"name=Latte")
    text = await api.post(
        "/product-variants", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    vendor_json = await api.post(
        "/product-variants",
        content=b"{}",
        headers={"Content-Type": "application/vnd.commerce+json; charset=utf-8"},
    )

    assert form.status_code == text.status_code == 415
    assert error_of(text)["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert vendor_json.status_code == 400


async def test_broken_json_and_non_objects_are_400(api: Api) -> None:
    broken = await api.post(
        "/product-variants", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    array = await api.post("/product-variants", json=[1, 2])

    assert broken.status_code == array.status_code == 400
    assert error_of(broken)["details"][0]["field"] is None


async def test_a_path_id_that_is_not_a_uuid_is_400(api: Api) -> None:
    response = await api.get("/product-variants/latte")

    assert response.status_code == 400
    assert fields_of(response) == [["productVariantId"]]


async def test_routing_errors_keep_the_error_shape(api: Api) -> None:
    unknown = await api.get("/nothing-here")
    wrong_method = await api.call("DELETE", f"/product-variants/{uuid.uuid4()}")

    assert unknown.status_code == 404
    assert error_of(unknown)["code"] == "NOT_FOUND"
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "METHOD_NOT_ALLOWED"
    assert set(wrong_method.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PUT"}


async def test_the_request_id_is_echoed_and_in_error_bodies(api: Api) -> None:
    response = await api.get(
        f"/product-variants/{uuid.uuid4()}", headers={"X-Request-ID": "commerce-req-42"}
    )
    generated = await api.get(f"/product-variants/{uuid.uuid4()}")

    assert response.headers["X-Request-ID"] == "commerce-req-42"
    assert error_of(response)["requestId"] == "commerce-req-42"
    assert error_of(generated)["requestId"] == generated.headers["X-Request-ID"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _call_app(settings: Settings, path: str, **kwargs: object) -> httpx.Response:
    app = create_app(settings)
    key = load_or_create_signing_key(settings.data_dir)
    token = key.issue_token(
        issuer=settings.identity_issuer,
        audience=settings.identity_audience,
        subject="rest-tester",
        merchant_id=MERCHANT_A,
        role="owner",
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(
                "POST" if "json" in kwargs else "GET",
                BASE + path,
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,  # type: ignore[arg-type]
            )


async def test_a_database_that_refuses_connections_is_503(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"postgresql://inventory@127.0.0.1:{_closed_port()}/inventory",
        data_dir=tmp_path,
        migrate_on_start=False,
        run_relay_in_serve=False,
    )

    read = await _call_app(settings, "/stocks")
    write = await _call_app(
        settings,
        "/product-variants",
        json={"productVariantId": str(uuid.uuid4()), "name": "Latte", "trackInventory": True},
    )

    for response in (read, write):
        assert response.status_code == 503, response.text
        assert error_of(response)["code"] == "UNAVAILABLE"
        assert response.headers["Retry-After"] == "1"


async def test_identity_down_with_nothing_cached_is_503(
    tmp_path: Path, database_url: str, sessions: Sessions
) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        identity_url=f"http://127.0.0.1:{_closed_port()}",
        migrate_on_start=False,
        run_relay_in_serve=False,
    )

    response = await _call_app(settings, "/locations")

    assert response.status_code == 503
    assert error_of(response)["code"] == "UNAVAILABLE"


async def test_an_id_with_an_encoded_newline_is_still_a_json_400(api: Api) -> None:
    response = await api.get("/product-variants/abc%0Adef")

    assert response.status_code == 400
    assert fields_of(response) == [["productVariantId"]]


async def test_text_postgresql_cannot_store_is_400_not_500(api: Api, sessions: Sessions) -> None:
    name = await api.put(f"/product-variants/{uuid.uuid4()}", json={"name": "Lat\u0000te"})
    reference = await api.get("/movements", params={"referenceId": "po\u00001"})
    key = await api.post(
        "/product-variants",
        json={"productVariantId": str(uuid.uuid4()), "name": "Latte", "trackInventory": True},
        headers={"Idempotency-Key": "key\x01"},
    )

    assert (name.status_code, reference.status_code, key.status_code) == (400, 400, 400)
    assert fields_of(name) == [["name"]]
    assert fields_of(reference) == [["referenceId"]]
    assert fields_of(key) == [["Idempotency-Key"]]
    assert await seed.count(sessions, "inventory_item") == 0
