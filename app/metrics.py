"""Prometheus metrics of the API side, and the /metrics route that exposes every metric.

Everything registers on prometheus_client's default `REGISTRY`, so /metrics shows
this module's series next to the consumers' (`consumers/metrics.py`) and anything
else the process defines. The outbox backlog is measured at scrape time, not
kept: it is a database fact, the same whichever instance is asked.

Series:

- `inventory_http_requests_total{method, route, status}` and
  `inventory_http_request_duration_seconds{method, route}` — `route` is the route
  template (`/v1/inventory-items/{id}`), never the raw path, so ids don't become labels.
- `inventory_graphql_operations_total{operation, type, outcome}` and
  `inventory_graphql_operation_duration_seconds{operation, type}` — `operation` is
  the client's operation name, `anonymous` without one, `other` past a bound.
- `inventory_graphql_subscriptions_active{subscription}` — open subscriptions.
- `inventory_outbox_backlog_events`, `inventory_outbox_retrying_events`,
  `inventory_outbox_oldest_unsent_age_seconds` — from `app/outbox/backlog.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from app.outbox.backlog import BacklogCollector, OutboxBacklog, read_backlog
from app.runtime import ProcessState

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UNMATCHED_ROUTE = "unmatched"
ANONYMOUS_OPERATION = "anonymous"
OTHER_OPERATION = "other"
_OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
BACKLOG_TIMEOUT_SECONDS = 2.0


@dataclass
class ApiMetrics:
    requests: Counter
    request_seconds: Histogram
    graphql_operations: Counter
    graphql_seconds: Histogram
    subscriptions: Gauge
    # Operation names are chosen by clients: past this many distinct ones they count as "other".
    max_operation_names: int = 200
    _operation_names: set[str] = field(default_factory=set)

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ApiMetrics:
        return cls(
            requests=Counter(
                "inventory_http_requests",
                "HTTP requests, by method, route template and status code.",
                ["method", "route", "status"],
                registry=registry,
            ),
            request_seconds=Histogram(
                "inventory_http_request_duration_seconds",
                "Time to answer an HTTP request, by method and route template.",
                ["method", "route"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            graphql_operations=Counter(
                "inventory_graphql_operations",
                "GraphQL operations, by operation name, type and outcome (ok, error).",
                ["operation", "type", "outcome"],
                registry=registry,
            ),
            graphql_seconds=Histogram(
                "inventory_graphql_operation_duration_seconds",
                "Time to execute a GraphQL operation, by operation name and type.",
                ["operation", "type"],
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
            subscriptions=Gauge(
                "inventory_graphql_subscriptions_active",
                "GraphQL subscriptions open on this instance, by subscription field.",
                ["subscription"],
                registry=registry,
            ),
        )

    def operation_label(self, name: str | None) -> str:
        if not name:
            return ANONYMOUS_OPERATION
        if name in self._operation_names:
            return name
        if not _OPERATION_NAME.fullmatch(name) or len(self._operation_names) >= (
            self.max_operation_names
        ):
            return OTHER_OPERATION
        self._operation_names.add(name)
        return name


@functools.cache
def default_metrics() -> ApiMetrics:
    """The process-wide metrics on the default registry, created on first use."""
    return ApiMetrics.create(REGISTRY)


def observe_graphql_operation(
    name: str | None,
    operation_type: str,
    seconds: float,
    *,
    failed: bool,
    metrics: ApiMetrics | None = None,
) -> None:
    """Count one GraphQL operation (the hook the GraphQL route, or the extension below, calls)."""
    metrics = metrics or default_metrics()
    label = metrics.operation_label(name)
    outcome = "error" if failed else "ok"
    metrics.graphql_operations.labels(label, operation_type, outcome).inc()
    metrics.graphql_seconds.labels(label, operation_type).observe(seconds)


@contextlib.contextmanager
def track_subscription(field_name: str, metrics: ApiMetrics | None = None) -> Iterator[None]:
    """Count a subscription as open for as long as the block runs (wrap the event loop in it)."""
    gauge = (metrics or default_metrics()).subscriptions.labels(field_name)
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


class GraphQLOperationMetrics(SchemaExtension):
    """A Strawberry extension that reports each operation to `observe_graphql_operation`."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        try:
            operation_type = context.operation_type.value
        except Exception:  # unparsable documents have no operation type
            operation_type = "unknown"
        result = context.result
        failed = bool(context.pre_execution_errors) or bool(result is not None and result.errors)
        observe_graphql_operation(
            context.operation_name,
            operation_type,
            time.perf_counter() - started,
            failed=failed,
        )


class MetricsMiddleware:
    """Pure ASGI: counts and times HTTP requests by route template and status."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics or default_metrics()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Before the call: routing rewrites the scope (root_path) on its way down.
        route = route_template(scope)
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(
                time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The path template of the route that handles `scope` (`unmatched` when none does)."""
    router = getattr(scope.get("app"), "router", None)
    routes: Sequence[BaseRoute] = getattr(router, "routes", ())
    return _match(routes, scope, "") or UNMATCHED_ROUTE


def _match(routes: Sequence[BaseRoute], scope: Scope, prefix: str) -> str | None:
    partial: str | None = None
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = _match(_mounted_routes(route), {**scope, **child_scope}, prefix + route.path)
            template = inner or prefix + route.path
        else:
            template = prefix + getattr(route, "path", "")
        if match is Match.FULL:
            return template
        partial = partial or template
    return partial


def _mounted_routes(mount: Mount) -> Sequence[BaseRoute]:
    """The routes behind a mount, looking through middleware that wraps its router."""
    app: Any = mount.app
    for _ in range(10):
        if isinstance(routes := getattr(app, "routes", None), list):
            return routes
        app = getattr(app, "app", None)
    return ()


async def metrics_endpoint(request: Request) -> Response:
    runtime: ProcessState = request.app.state.runtime
    body = generate_latest(REGISTRY)
    backlog = await _measure_backlog(runtime)
    if backlog is not None:
        # A registry of this scrape only: the backlog is not process state.
        scrape = CollectorRegistry(auto_describe=False)
        scrape.register(BacklogCollector(lambda: backlog))
        body += generate_latest(scrape)
    return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _measure_backlog(runtime: ProcessState) -> OutboxBacklog | None:
    try:
        async with (
            asyncio.timeout(BACKLOG_TIMEOUT_SECONDS),
            runtime.database.engine.connect() as connection,
        ):
            return await read_backlog(connection)
    except Exception as exc:
        # The scrape still answers; a missing backlog series is the signal (and /readyz).
        log.warning("outbox backlog not measured", extra={"error": repr(exc)})
        return None


routes = [Route("/metrics", metrics_endpoint, methods=["GET"])]
