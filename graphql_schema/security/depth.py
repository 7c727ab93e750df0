"""Depth limit: how many fields deep an operation reaches, introspection not counted.

A top-level field is depth 1, so `{ stocks { nodes { id } } }` is 3 deep and the
standard introspection query would be 15 — its `__schema`/`__type` subtrees are
skipped, as the contract asks, so tools keep working wherever introspection is on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from graphql import FieldNode, SelectionSetNode, ValidationRule

from graphql_schema.security.errors import MAX_DEPTH_EXCEEDED
from graphql_schema.security.operation_measure import operation_limit_rule


def _depth(field: FieldNode, below: Callable[[SelectionSetNode], int]) -> int:
    if field.name.value.startswith("__"):
        return 0
    return 1 + (below(field.selection_set) if field.selection_set else 0)


@cache  # one class per limit, so a validation cache keyed on the rules can hit
def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper than `max_depth` fields."""
    return operation_limit_rule(
        max_depth,
        _depth,
        lambda depths: max(depths, default=0),
        lambda name, depth, limit: f"{name} is {depth} fields deep; at most {limit} are allowed.",
        MAX_DEPTH_EXCEEDED,
    )
