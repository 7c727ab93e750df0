"""The configurable limits every GraphQL request is held to (defaults from the contract)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SecurityLimits:
    """Limits of one schema; `contracts/schema.graphql` states the defaults.

    `max_query_length` (characters) is not in the contract: it bounds what the
    token limit cannot, a few enormous tokens such as a megabyte string literal.
    `default_page_size` is what a connection's resolver returns when neither
    `first` nor `last` is given; the cost estimate counts that many nodes, so
    resolvers must use the same number.
    """

    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 10_000
    max_query_length: int = 200_000
    max_page_size: int = 250
    default_page_size: int = 50
    budget_points: int = 2000
    refill_per_second: int = 100
    mutation_cost: int = 10

    def __post_init__(self) -> None:
        positive = (
            self.max_depth,
            self.max_aliases,
            self.max_tokens,
            self.max_query_length,
            self.max_page_size,
            self.budget_points,
            self.refill_per_second,
        )
        if min(positive) <= 0:
            raise ValueError("security limits must be positive")
        if not 0 < self.default_page_size <= self.max_page_size:
            raise ValueError("default_page_size must be between 1 and max_page_size")
        if self.mutation_cost < 0:
            raise ValueError("mutation_cost must not be negative")
