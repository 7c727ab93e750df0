"""Alias limit: how many aliased fields an operation asks for, fragments counted where spread."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from graphql import FieldNode, SelectionSetNode, ValidationRule

from graphql_schema.security.errors import MAX_ALIASES_EXCEEDED
from graphql_schema.security.operation_measure import operation_limit_rule


def _aliases(field: FieldNode, below: Callable[[SelectionSetNode], int]) -> int:
    return (1 if field.alias else 0) + (below(field.selection_set) if field.selection_set else 0)


@cache  # one class per limit, so a validation cache keyed on the rules can hit
def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations with more than `max_aliases` aliases."""
    return operation_limit_rule(
        max_aliases,
        _aliases,
        sum,
        lambda name, count, limit: f"{name} uses {count} aliases; at most {limit} are allowed.",
        MAX_ALIASES_EXCEEDED,
    )
