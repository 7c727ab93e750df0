"""Repeated GraphQL reads answered from the response cache, before Strawberry.

Why: answering a page of 100 stocks from here costs ~0.12 ms of CPU in process where
executing it costs 6-8 ms (Strawberry's request path, a pooled connection, SQL,
serialization); dashboards ask the same queries again and again.

What is cached: the `data` of an error-free result of a single `query` operation sent
as POST application/json, whose root fields are all merchant-data reads
(CACHEABLE_ROOT_FIELDS), keyed by (merchant, document text, operation name, canonical
JSON of the variables). Nothing below a root field depends on the principal beyond
its merchant: permission classes sit on root fields only (tested), and resolvers read
`context.merchant_id` and nothing else of the caller.

A hit does what the uncached path does except execution: the route has already
authenticated (the same VerifiedTokens); every action the root fields' permission
classes require is asked of the same identity policy; the cost estimate is charged to
the caller's bucket and the recorded actual cost kept (the same buckets, refunded as
the limiter does) and reported in `extensions.cost`; the operation is counted in the
metrics. When any of these says no (FORBIDDEN, UNAVAILABLE, THROTTLED) the request
goes on to Strawberry, which answers exactly as without a cache (a refused charge
takes nothing, so it is not charged twice). The body is built as the executed path
builds it (json_body.encode_body of {"data", "extensions"}), so it is byte-identical
apart from the cost figures.

Freshness: an entry is kept with its merchant's data version (app/db/data_versions.py)
read before execution, stored only if the version is unchanged after it, and served
only while it is current: so a commit elsewhere is visible once its notification has
arrived, and a write by this process (a mutation here bumps its merchant at once; other
writes here wait for their notification, see writes_visible.py) on the next request.
While the listener is not listening nothing is served nor stored.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import OperationType
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from app.auth.errors import IdentityError
from app.auth.principal import Principal
from app.body_limit import replay_body
from app.db.data_versions import EXTRAS_KEY, DataVersions, Token
from app.metrics import GraphQLOperationMetrics, observe_graphql_operation
from app.runtime import Runtime
from app.settings import Settings
from graphql_schema.cache_plans import Plan, Plans
from graphql_schema.context import Context
from graphql_schema.json_body import encode_body
from graphql_schema.response_cache import Entry, Key, ResponseCache
from graphql_schema.security.cost_limiter import QueryCostLimiter, SharedQueryCostLimiter
from graphql_schema.security.document_size import DocumentSizeLimiter
from graphql_schema.security.masking import MaskUnexpectedErrors
from graphql_schema.security.rules import ValidationLimits
from graphql_schema.security.suggestions import HideSuggestions
from graphql_schema.transport import SubscriptionsOverWebsocket

PENDING = "graphql_cache_pending"
# The entry of a cacheable result this request executed (stored in the cache or not).
EXECUTED = "graphql_cache_executed"

# Accept values that ask Strawberry for a streamed (multipart, SSE) response.
STREAMED = ("multipart/", "text/event-stream")


@dataclass(frozen=True, slots=True)
class Pending:
    key: Key
    token: Token | None
    plan: Plan


@dataclass(frozen=True, slots=True)
class CostCharging:
    """The cost limiter's own buckets and rules, taken from its extension factory."""

    buckets: Any  # TokenBuckets, or SharedBuckets (awaitable)
    capacity: int
    caller_key: Callable[[Any], str]


class CachedReads:
    def __init__(
        self,
        schema: strawberry.Schema,
        cache: ResponseCache,
        *,
        cost: CostCharging | None,
        observe: Callable[[str | None, float], None] | None,
        plans: Plans | None = None,
    ) -> None:
        self.cache = cache
        self._cost = cost
        self._observe = observe
        self._plans = plans or Plans(schema)
        self._reset_hooked: set[int] = set()
        self.served = 0  # requests answered from the cache

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, principal: Principal
    ) -> Receive | None:
        """None when answered (from the cache); else the `receive` to go on with."""
        merchant_id = principal.merchant_id
        headers = Headers(scope=scope)
        if (
            merchant_id is None
            or not _is_json(headers.get("content-type", ""))
            or any(kind in headers.get("accept", "") for kind in STREAMED)
        ):
            return receive
        body = await read_whole_body(receive)
        if body is None:
            return None  # the client went away
        replay = replay_body(body, receive)
        request = _single_operation(body)
        if request is None:
            return replay
        query, operation_name, variables = request
        versions = self._versions(scope)
        plan = self._plans.get(query, operation_name)
        key: Key = (merchant_id, query, operation_name, variables)
        token = versions.token(merchant_id) if versions is not None else None
        scope.setdefault("state", {})[PENDING] = Pending(key, token, plan)
        if token is None or plan.actions is None:
            return replay
        entry = self.cache.get(key, token)
        if entry is None:
            return replay
        return await self.answer(entry, scope, replay, send, principal)

    async def answer(
        self, entry: Entry, scope: Scope, receive: Receive, send: Send, principal: Principal
    ) -> Receive | None:
        """Answer with `entry` as a hit does (the caller's actions asked, the cost charged);
        None when answered, else the `receive` to go on with (refused: Strawberry answers)."""
        pending = scope["state"][PENDING]
        replay = receive
        started = time.perf_counter()
        runtime: Runtime = scope["app"].state.runtime
        try:
            for action in entry.actions:
                await runtime.identity.authorize(principal, action)
        except IdentityError:
            return replay  # Strawberry answers FORBIDDEN / UNAVAILABLE as without a cache
        extensions = b""
        if self._cost is not None and entry.requested_cost is not None:
            context = Context(
                settings=runtime.settings,
                sessions=runtime.database.sessions,
                identity=runtime.identity,
                principal=principal,
            )
            report = await self._charge(context, entry.requested_cost, entry.actual_cost)
            if report is None:
                return replay  # Strawberry refuses it as THROTTLED, charging nothing
            extensions = b',"extensions":' + _encode({"cost": report})
        body = b"".join((b'{"data":', entry.data_json, extensions, b"}"))
        if self._observe is not None:
            self._observe(pending.plan.name, time.perf_counter() - started)
        await Response(body, media_type="application/json")(scope, receive, send)
        self.served += 1
        return None

    def finish(self, request: Request, result: ExecutionResult) -> None:
        """After execution: keep a cacheable result; a mutation makes its merchant stale.

        A cacheable result is also left in the request's state (EXECUTED) as an entry,
        stored or not: reads that arrived before this execution began may be answered
        with it (read_flights.py), whatever was written since."""
        pending = request.scope.get("state", {}).get(PENDING)
        if not isinstance(pending, Pending):
            return
        versions = self._versions(request.scope)
        if versions is None:
            return
        merchant_id = pending.key[0]
        if pending.plan.operation_type is OperationType.MUTATION:
            # Read-your-writes here without waiting for the notification (which follows).
            versions.bump(merchant_id)
            return
        actions = pending.plan.actions
        if actions is None or pending.token is None or result.errors or result.data is None:
            return
        recorded = _recorded_cost(result.extensions, charged=self._cost is not None)
        if recorded is None:
            return
        requested, actual = recorded
        data_json = _encode(result.data)
        request.scope["state"][EXECUTED] = Entry(
            pending.token, 0.0, data_json, requested, actual, actions, len(data_json)
        )
        if versions.token(merchant_id) != pending.token:
            return
        self.cache.put(
            pending.key,
            pending.token,
            data_json,
            requested_cost=requested,
            actual_cost=actual,
            actions=actions,
        )

    async def _charge(
        self, context: Context, requested: int, actual: int | None
    ) -> dict[str, Any] | None:
        """The limiter's charge and refund; its `extensions.cost` report, None if refused."""
        cost = self._cost
        assert cost is not None
        caller = cost.caller_key(context)
        charge = await _maybe_await(cost.buckets.charge(caller, requested))
        if not charge.granted:
            return None
        status = charge.status
        if actual is not None and actual < requested:
            status = await _maybe_await(cost.buckets.refund(caller, requested - actual))
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": requested if actual is None else actual,
            "throttleStatus": status.as_extension(),
        }

    def _versions(self, scope: Scope) -> DataVersions | None:
        runtime: Runtime = scope["app"].state.runtime
        versions = runtime.extras.get(EXTRAS_KEY)
        if not isinstance(versions, DataVersions):
            return None
        if id(versions) not in self._reset_hooked:
            self._reset_hooked.add(id(versions))
            versions.on_reset(self.cache.clear)
        return versions


def cost_charging(extensions: Iterable[object]) -> CostCharging | None:
    """The cost limiter's buckets among the schema's extension factories, if any."""
    for factory in extensions:
        if isinstance(factory, functools.partial) and factory.func in (
            QueryCostLimiter,
            SharedQueryCostLimiter,
        ):
            keywords = factory.keywords
            return CostCharging(keywords["buckets"], keywords["capacity"], keywords["caller_key"])
    return None


def _recorded_cost(
    extensions: dict[str, Any] | None, *, charged: bool
) -> tuple[int | None, int | None] | None:
    """(requested, actual) from the result's `extensions.cost`; None when the
    extensions are not exactly what a hit rebuilds."""
    extensions = extensions or {}
    if not charged:
        return None if extensions else (None, None)
    cost = extensions.get("cost")
    if set(extensions) != {"cost"} or not isinstance(cost, dict):
        return None
    requested, actual = cost.get("requestedQueryCost"), cost.get("actualQueryCost")
    if type(requested) is not int or type(actual) is not int:
        return None
    return requested, actual


def _single_operation(body: bytes) -> tuple[str, str | None, str] | None:
    """(query, operationName, canonical variables) of a plain single-operation body."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not set(data) <= {
        "query",
        "variables",
        "operationName",
        "extensions",
    }:
        return None
    query, name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if data.get("extensions") is not None or not isinstance(query, str):
        return None
    if not (name is None or isinstance(name, str)) or not (
        variables is None or isinstance(variables, dict)
    ):
        return None
    try:
        canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        return None
    return query, name, canonical


@functools.lru_cache(maxsize=64)
def _is_json(content_type: str) -> bool:
    """Strawberry's own test of a JSON body (clients send one or two distinct values)."""
    parsed, _ = parse_content_type(content_type)
    return "application/json" in parsed


def _encode(value: object) -> bytes:
    # The executed path's own encoding (GraphQLApp.encode_json): bodies byte-identical.
    return encode_body(value)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def read_whole_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def build_cached_reads(
    schema: strawberry.Schema,
    settings: Settings,
    extensions: Sequence[object],
    plans: Plans | None = None,
) -> CachedReads | None:
    """The cache in front of `schema`, or None when it is off or cannot be exact.

    Off with GRAPHQL_RESPONSE_CACHE_ENTRIES=0, and whenever the schema runs an extension
    not known here: a hit skips the extensions, so each must be one whose effect on an
    error-free query it reproduces (the cost report, the metrics) or that has none.
    """
    if settings.graphql_response_cache_entries <= 0:
        return None
    for factory in extensions:
        kind = factory.func if isinstance(factory, functools.partial) else factory
        if kind not in _KNOWN_EXTENSIONS:
            return None
    cache = ResponseCache(
        max_entries=settings.graphql_response_cache_entries,
        max_bytes=settings.graphql_response_cache_bytes,
        max_age=settings.graphql_response_cache_max_age_seconds,
    )
    observe = _observe_operation if GraphQLOperationMetrics in extensions else None
    return CachedReads(schema, cache, cost=cost_charging(extensions), observe=observe, plans=plans)


def _observe_operation(name: str | None, seconds: float) -> None:
    observe_graphql_operation(name, OperationType.QUERY.value, seconds, failed=False)


_KNOWN_EXTENSIONS: frozenset[object] = frozenset(
    {
        SubscriptionsOverWebsocket,  # subscriptions only
        GraphQLOperationMetrics,  # counted on hits too
        DocumentSizeLimiter,  # same document, same answer
        ValidationLimits,  # likewise
        QueryCostLimiter,  # charged on hits
        SharedQueryCostLimiter,
        HideSuggestions,  # error messages only
        MaskUnexpectedErrors,
    }
)
