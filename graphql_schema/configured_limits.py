"""The GraphQL limits this process enforces, from its settings (GRAPHQL_MAX_DEPTH, …)."""

from __future__ import annotations

from app.settings import Settings
from graphql_schema.security.limits import SecurityLimits


def configured_limits(settings: Settings) -> SecurityLimits:
    """One source for the validation rules, the cost budget and the resolvers' page sizes,
    which must agree (the cost estimate assumes the default page size resolvers use)."""
    return SecurityLimits(
        max_depth=settings.graphql_max_depth,
        max_aliases=settings.graphql_max_aliases,
        max_tokens=settings.graphql_max_tokens,
        max_page_size=settings.graphql_max_page_size,
        default_page_size=settings.graphql_default_page_size,
        budget_points=settings.graphql_cost_budget,
        refill_per_second=settings.graphql_cost_refill_per_second,
    )
