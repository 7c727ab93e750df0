"""The ASGI app factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from app import health
from app.runtime import Runtime, open_database
from app.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_database(settings, application_name="inventory-serve") as database:
            app.state.runtime = Runtime(settings=settings, database=database)
            yield

    return Starlette(routes=[*health.routes], lifespan=lifespan)
