"""The ASGI app factory and its lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware

from app import health, metrics
from app.auth.identity import build_identity
from app.auth.request_id import RequestIdMiddleware
from app.auth.routes import dev_identity_routes
from app.db.data_versions import EXTRAS_KEY as DATA_VERSIONS
from app.db.data_versions import maybe_listening
from app.fast_paths import apply_fast_paths
from app.outbox.relay import RelayHandle
from app.outbox.runner import start_relay
from app.realtime.lifespan import open_realtime
from app.rest.v1.routes import v1_routes
from app.runtime import Runtime, open_database
from app.services.idempotency_retention import pruning_idempotency_keys
from app.services.ledger_days import settling_ledger_days
from app.settings import Settings, load_settings
from app.web import routes as web
from graphql_schema.app import default_extensions, graphql_routes
from graphql_schema.writes_visible import WritesVisibleMiddleware


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    apply_fast_paths(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_database(settings, application_name="inventory-serve") as database,
            open_realtime(settings, database.sessions) as realtime,
            # Invalidates the GraphQL response cache (graphql_schema/cached_reads.py).
            maybe_listening(
                database.url, wanted=settings.graphql_response_cache_entries > 0
            ) as data_versions,
            # The API is what writes idempotency keys, so each serving process prunes them.
            pruning_idempotency_keys(
                database.engine,
                timedelta(hours=settings.idempotency_key_retention_hours),
                settings.idempotency_key_prune_interval_seconds,
            ),
            # Usage reports read the daily totals this sums and never write them.
            settling_ledger_days(
                database.sessions,
                settings.ledger_days_settle_interval_seconds,
                settings.ledger_days_lookback_days,
            ),
        ):
            identity = await build_identity(settings)
            relay: RelayHandle | None = None
            try:
                app.state.runtime = Runtime(
                    settings=settings, database=database, identity=identity, realtime=realtime
                )
                if data_versions is not None:
                    app.state.runtime.extras[DATA_VERSIONS] = data_versions
                relay = start_relay(app.state.runtime)
                yield
            finally:
                if relay is not None:
                    await relay.stop()
                await identity.aclose()

    identity_routes = [] if settings.identity_url else dev_identity_routes
    return Starlette(
        routes=[
            *health.routes,
            *metrics.routes,
            *identity_routes,
            *v1_routes(settings),
            *web.routes,
            *graphql_routes(
                settings,
                extensions=[metrics.GraphQLOperationMetrics, *default_extensions(settings)],
            ),
        ],
        middleware=[
            Middleware(metrics.MetricsMiddleware),
            Middleware(RequestIdMiddleware),
            Middleware(WritesVisibleMiddleware),
        ],
        lifespan=lifespan,
    )
