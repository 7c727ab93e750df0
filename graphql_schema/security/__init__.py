"""Limits and hardening of the GraphQL endpoint, for any Strawberry schema.

Wiring (two lines; the budget lives in the factories, so build them once per process):

    extensions = security_extensions(
        SecurityLimits(), production=settings.is_production,
        caller_key=lambda ctx: f"{ctx.merchant_id}:{ctx.caller.subject}", redis=redis_or_none,
    )
    schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[*extensions, ...])

What a request gets (codes in `extensions.code` of a top-level error, `data` null):

- depth over `max_depth` fields, introspection fields not counted: MAX_DEPTH_EXCEEDED;
- more than `max_aliases` aliases: MAX_ALIASES_EXCEEDED;
- more than `max_tokens` tokens (or comments), or `max_query_length` characters:
  MAX_TOKENS_EXCEEDED;
- `first`/`last` over `max_page_size`, literal or variable: PAGE_SIZE_EXCEEDED;
- a cost (cost.py) over the full budget: QUERY_TOO_COMPLEX; over what is left of
  the caller's budget: THROTTLED. Charged queries report `extensions.cost`
  {requestedQueryCost, actualQueryCost, throttleStatus {maximumAvailable,
  currentlyAvailable, restoreRate}}; the estimate is charged before execution,
  and after an error-free one what the data shows was not needed is refunded
  (actual_cost.py);
- production: no introspection, no "Did you mean …?" in any error;
- always: unexpected errors become "Unexpected error." with code
  INTERNAL_SERVER_ERROR (errors.should_mask_error says which).

`caller_key(context)` receives Strawberry's context value; a GraphQLError it raises
(e.g. no principal) is returned as is. Resolvers must page `default_page_size`
nodes when given neither `first` nor `last`, as the estimate assumes.

With `redis`, budgets are shared by all instances (async execution only); without
it they are per process. The route should keep HTTP batching off (Strawberry's
default: `StrawberryConfig(batching_config=None)` answers a JSON array with 400
"Batching is not enabled"; if ever enabled, cap it with `{"max_operations": n}` —
every operation is still charged separately), keep `multipart_uploads_enabled=False`
(the default), and serve GraphiQL (`graphql_ide`) only outside production.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from redis.asyncio import Redis
from strawberry.extensions import SchemaExtension

from graphql_schema.security.budget import TokenBuckets
from graphql_schema.security.cost import CostRules, operation_cost
from graphql_schema.security.cost_limiter import QueryCostLimiter, SharedQueryCostLimiter
from graphql_schema.security.document_size import DocumentSizeLimiter
from graphql_schema.security.errors import should_mask_error
from graphql_schema.security.limits import SecurityLimits
from graphql_schema.security.masking import MaskUnexpectedErrors
from graphql_schema.security.redis_budget import SharedBuckets
from graphql_schema.security.rules import ValidationLimits, security_validation_rules
from graphql_schema.security.suggestions import HideSuggestions

__all__ = [
    "CostRules",
    "SecurityLimits",
    "operation_cost",
    "security_extensions",
    "security_validation_rules",
    "should_mask_error",
]

ExtensionFactory = Callable[[], SchemaExtension]


def security_extensions(
    limits: SecurityLimits,
    *,
    production: bool,
    caller_key: Callable[[Any], str],
    redis: Redis | None = None,
    clock: Callable[[], float] | None = None,
) -> list[ExtensionFactory]:
    """Factories of the security extensions, for `strawberry.Schema(extensions=...)`.

    `clock` replaces the budget's clock (seconds; monotonic in process, wall time
    with Redis) in tests.
    """
    rules = CostRules(limits.default_page_size, limits.mutation_cost)
    cost_limiter: ExtensionFactory
    if redis is None:
        buckets = TokenBuckets(limits.budget_points, limits.refill_per_second, clock=clock)
        cost_limiter = partial(
            QueryCostLimiter,
            rules=rules,
            buckets=buckets,
            capacity=limits.budget_points,
            caller_key=caller_key,
        )
    else:
        shared = SharedBuckets(redis, limits.budget_points, limits.refill_per_second, clock=clock)
        cost_limiter = partial(
            SharedQueryCostLimiter,
            rules=rules,
            buckets=shared,
            capacity=limits.budget_points,
            caller_key=caller_key,
        )
    factories: list[ExtensionFactory] = [
        partial(DocumentSizeLimiter, limits=limits),
        partial(ValidationLimits, limits=limits, production=production),
        cost_limiter,
    ]
    if production:
        factories.append(HideSuggestions)
    factories.append(MaskUnexpectedErrors)
    return factories
