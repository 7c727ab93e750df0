"""/v1 fixtures: the real app (create_app, lifespan run here) over the test database,
driven through httpx, with tokens signed by the development identity's own key."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from app.asgi import create_app
from app.auth.dev import DevSigningKey, load_or_create_signing_key
from app.settings import Settings

MERCHANT_A = uuid.UUID("00000000-0000-7000-8000-0000000000a1")
MERCHANT_B = uuid.UUID("00000000-0000-7000-8000-0000000000b2")
BASE = "/v1/api/inventory"


@pytest.fixture(scope="session")
def rest_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rest-data")


@pytest.fixture(scope="session")
def rest_settings(database_url: str, rest_data_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=rest_data_dir,
        migrate_on_start=False,
        run_relay_in_serve=False,
    )


@pytest.fixture(scope="session")
async def rest_app(rest_settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(rest_settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
def signing_key(rest_data_dir: Path) -> DevSigningKey:
    return load_or_create_signing_key(rest_data_dir)


@dataclass
class Api:
    client: httpx.AsyncClient
    signing_key: DevSigningKey
    settings: Settings

    def token(
        self,
        merchant_id: uuid.UUID | None = MERCHANT_A,
        role: str | None = "owner",
        *,
        service: bool = False,
    ) -> str:
        return self.signing_key.issue_token(
            issuer=self.settings.identity_issuer,
            audience=self.settings.identity_audience,
            subject="commerce" if service else "rest-tester",
            merchant_id=merchant_id,
            role=role,
            service=service,
        )

    def service_token(self, merchant_id: uuid.UUID | None = None) -> str:
        return self.token(merchant_id, None, service=True)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        role: str = "owner",
        merchant_id: uuid.UUID = MERCHANT_A,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = {"Authorization": f"Bearer {token or self.token(merchant_id, role)}"}
        sent.update(headers or {})
        return await self.client.request(method, BASE + path, headers=sent, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.call("PUT", path, **kwargs)


@pytest.fixture
async def api(
    rest_app: Starlette,
    rest_settings: Settings,
    signing_key: DevSigningKey,
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=rest_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, signing_key, rest_settings)


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of a /v1 error response (asserting the one shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert {"code", "message", "requestId", "details"} <= set(error), error
    return error


def fields_of(response: httpx.Response) -> list[list[Any]]:
    return [detail["field"] for detail in error_of(response)["details"]]
