"""The /graphql route: authentication before any resolver, a typed context per request.

Authentication failures answer HTTP 401 (503 when identity cannot be asked), with a
GraphQL-shaped body `{"errors": [{"message", "extensions": {"code": "UNAUTHENTICATED"}}]}`,
as /v1 does: no operation runs without a principal. Authorization is per root field
(FORBIDDEN / UNAVAILABLE top-level errors, HTTP 200). GraphiQL is served only outside
production, and the page itself needs no token.
"""

from __future__ import annotations

from collections.abc import Sequence

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from app.auth.errors import IdentityError, Unauthenticated
from app.body_limit import BodyLimitMiddleware
from app.runtime import Runtime
from app.settings import Settings
from app.web.routes import graphiql_page
from graphql_schema.cache_plans import Plans
from graphql_schema.cached_reads import CachedReads, build_cached_reads
from graphql_schema.configured_limits import configured_limits
from graphql_schema.context import Context
from graphql_schema.error_codes import BAD_REQUEST
from graphql_schema.gated_posts import post
from graphql_schema.json_body import encode_body
from graphql_schema.read_budget import ReadBudget
from graphql_schema.read_gate import ReadGate
from graphql_schema.schema import Extension, build_schema
from graphql_schema.security import security_extensions
from graphql_schema.subscriptions.shared import with_shared_subscription_events
from graphql_schema.subscriptions.socket import accept_connection, socket_context, socket_options
from graphql_schema.transport import SubscriptionsOverWebsocket
from graphql_schema.verified_tokens import VerifiedTokens

PATH = "/graphql"
READER = "graphql_read_sessions"
TOKENS = "graphql_verified_tokens"
READ_BUDGET = "graphql_read_budget"
_NO_BUDGET = object()


class GraphQLApp(GraphQL[Context, None]):
    # The response cache in front of execution (cached_reads.py); None when off.
    cached_reads: CachedReads | None = None
    # Reads execute a few at a time, writes go by (read_gate.py); None when off.
    read_gate: ReadGate | None = None
    plans: Plans | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Authenticated in connection_init (on_ws_connect); see subscriptions/socket.py.
            websocket = WebSocket(scope, receive=receive, send=send)
            async with socket_context(websocket) as context:
                await self.run(websocket, context=context)
            return
        if scope["type"] == "http":
            request = Request(scope, receive)
            if request.method == "POST" or (
                request.method == "GET" and not self._wants_ide(request)
            ):
                refusal = await self._authenticate(request)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
                if request.method == "POST":
                    await post(self, scope, receive, send)
                    return
            await self.execute_http(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def execute_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry's HTTP handling, its refusals in JSON."""
        try:
            # A new Request: `receive` may now replay the body read before.
            response = await self.run(Request(scope, receive))
        except HTTPException as exc:
            # Strawberry answers these in plain text; clients parse JSON.
            response = _refused(exc)
        await response(scope, receive, send)

    def encode_json(self, data: object) -> str:
        # Text: Strawberry sends bytes over a websocket as a binary frame, which
        # graphql-transport-ws clients refuse; decoding the bytes costs ~5 µs a page.
        return encode_body(data).decode()

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if self.cached_reads is not None:
            self.cached_reads.finish(request, result)
        return await super().process_result(request, result)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # Strawberry lets a body that is not UTF-8, not a JSON object or nested past the
        # recursion limit escape as a 500; each is the client's mistake.
        try:
            return await super().parse_http_body(request)
        except (UnicodeDecodeError, RecursionError) as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc
        except AttributeError as exc:
            raise HTTPException(400, "The request body must be a JSON object") from exc

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        # Strawberry's page loads GraphiQL from a CDN; this one from the service.
        return graphiql_page()

    def _wants_ide(self, request: Request) -> bool:
        return self.graphql_ide is not None and "text/html" in request.headers.get("accept", "")

    async def _authenticate(self, request: Request) -> Response | None:
        runtime: Runtime = request.app.state.runtime
        tokens = runtime.extras.get(TOKENS)
        if tokens is None:
            tokens = runtime.extras[TOKENS] = VerifiedTokens(runtime.identity)
        try:
            principal = await tokens.authenticate(request.headers.get("authorization"))
        except IdentityError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else {}
            body = {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
            return JSONResponse(body, status_code=exc.http_status, headers=headers)
        request.state.principal = principal
        return None

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        return await accept_connection(context)

    async def get_context(self, request: Request | WebSocket, response: object) -> Context:
        runtime: Runtime = request.app.state.runtime
        reader = runtime.extras.get(READER)
        if reader is None:
            reader = runtime.extras[READER] = runtime.database.sessions.read_sessions()
        budget = runtime.extras.get(READ_BUDGET, _NO_BUDGET)
        if budget is _NO_BUDGET:
            budget = runtime.extras[READ_BUDGET] = read_budget(runtime.settings)
        return Context(
            settings=runtime.settings,
            sessions=runtime.database.sessions,
            identity=runtime.identity,
            principal=getattr(request.state, "principal", None),
            request=request,
            reader=reader,
            read_budget=budget,
            response=response if isinstance(response, Response) else None,
        )


def read_budget(settings: Settings) -> ReadBudget | None:
    """The process's read budget from the settings (None: 0 connections, no budget)."""
    slots = settings.graphql_read_connections
    if slots is None:
        slots = settings.database_pool_size
    return ReadBudget(slots, settings.graphql_read_wait_seconds) if slots else None


def caller_key(context: Context) -> str:
    """Whose query budget a request spends: one per user (or service) of a merchant."""
    return f"{context.merchant_id}:{context.caller.subject}"


def default_extensions(settings: Settings, redis: Redis | None = None) -> list[Extension]:
    """The security extensions with the configured limits (the contract's by default);
    budgets shared through Redis when REDIS_URL is set (so every instance draws on one
    budget per caller)."""
    if redis is None and settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
    return list(
        security_extensions(
            configured_limits(settings),
            production=settings.is_production,
            caller_key=caller_key,
            redis=redis,
        )
    )


def graphql_app(
    settings: Settings,
    *,
    extensions: Sequence[Extension] | None = None,
    subscription: type | None = None,
) -> GraphQLApp:
    """The route's ASGI app; `extensions` defaults to `default_extensions(settings)`."""
    if extensions is None:
        extensions = default_extensions(settings)
    extensions = [SubscriptionsOverWebsocket, *extensions]
    schema = build_schema(settings, extensions=extensions, subscription=subscription)
    if settings.graphql_fast_subscriptions:
        # Terminals asking the same subscription share each event's execution.
        schema.execution_context_class = with_shared_subscription_events(
            schema.execution_context_class
        )
    app = GraphQLApp(
        schema,
        graphql_ide=None if settings.is_production else "graphiql",
        allow_queries_via_get=False,
        **socket_options(settings),
    )
    app.plans = Plans(schema)
    app.cached_reads = build_cached_reads(schema, settings, extensions, plans=app.plans)
    app.read_gate = read_gate(settings)
    return app


def read_gate(settings: Settings) -> ReadGate | None:
    """The route's read gate from the settings (None: GRAPHQL_READS_AT_ONCE=0)."""
    places = settings.graphql_reads_at_once
    return ReadGate(places, settings.graphql_read_wait_seconds) if places else None


def graphql_routes(
    settings: Settings,
    *,
    extensions: Sequence[Extension] | None = None,
    subscription: type | None = None,
) -> list[BaseRoute]:
    """POST /graphql (and GraphiQL on GET outside production); websockets once subscribed."""
    app = graphql_app(settings, extensions=extensions, subscription=subscription)
    limited = BodyLimitMiddleware(app, max_bytes=settings.max_body_bytes, too_large=_too_large)
    return [Route(PATH, limited, methods=["GET", "POST"]), WebSocketRoute(PATH, app)]


def _refused(exc: HTTPException) -> Response:
    """A request refused before any GraphQL ran, as a GraphQL error body."""
    code = HTTP_CODES.get(exc.status_code, BAD_REQUEST)
    body = {"errors": [{"message": exc.reason, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=exc.status_code)


HTTP_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _too_large(limit: int) -> ASGIApp:
    message = f"the body is over the limit of {limit} bytes"
    body = {"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
    return JSONResponse(body, status_code=413)
