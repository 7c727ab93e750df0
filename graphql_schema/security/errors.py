"""The codes of refused requests, and which errors clients may read verbatim."""

from __future__ import annotations

from collections.abc import Collection

from graphql import GraphQLError, Node

MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
THROTTLED = "THROTTLED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def refusal(message: str, code: str, nodes: Collection[Node] | Node | None = None) -> GraphQLError:
    """A top-level error that refuses the whole request, with its `extensions.code`."""
    return GraphQLError(message, nodes, extensions={"code": code})


def should_mask_error(error: GraphQLError) -> bool:
    """Whether an error's message must be replaced before it reaches the client.

    Exposed: errors built as GraphQL errors by graphql-core or by us — syntax and
    validation errors, variable coercion, limits, throttling (no `original_error`) —
    and GraphQL errors raised on purpose by resolvers, permissions or hooks, such as
    the schema's coded `ClientError`s (their `original_error` is that GraphQL error).
    Masked: everything that started as another exception (database, bugs, timeouts),
    whose text may hold SQL, paths or data.
    """
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)
