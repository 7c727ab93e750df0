"""Fields resolved for a whole column at once: `@batched(column)` on a resolver.

A Strawberry resolver that awaits a dataloader runs once per object: on a page of 100
items, 100 coroutines stepped through the loader's futures, and a nested list (each
item's stocks, each recipe line's material) multiplies that. A field declared with
`@batched(column)` is resolved by the plan with one call per column,
`column(objects, info, **arguments)`, answering one value per object (or an awaitable
of them): the values its resolver answers for each (tests/graphql/test_fast_lists.py
compares both). A column answered at once may hold awaitables, settled as a resolver's
are: a field that is mostly known (a relation the page joined) and loaded otherwise
costs no call per object.
graphql-core (the plan off, or given up) still calls the resolver per object, so the
field keeps its resolver too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

import strawberry
from strawberry.types.field import StrawberryField

__all__ = ["ColumnResolver", "batched", "column_resolver"]

COLUMN = "list_plan.column"
# (objects, Strawberry info, **the field's arguments) -> one value per object, or an
# awaitable of them
ColumnResolver = Callable[..., Awaitable[list[Any]] | list[Any]]
F = TypeVar("F", bound=Callable[..., Any])


def batched(column: ColumnResolver, graphql_type: Any = None) -> Callable[[F], F]:
    """A Strawberry field (its resolver decorated) whose metadata names its resolver for
    a whole column of objects (`graphql_type`: the field's type, where the resolver's
    annotation is not one)."""
    return cast(
        Callable[[F], F],
        strawberry.field(graphql_type=graphql_type, metadata={COLUMN: column}),
    )


def column_resolver(field: StrawberryField) -> ColumnResolver | None:
    metadata: Mapping[str, Any] = field.metadata or {}
    found = metadata.get(COLUMN)
    return found if callable(found) else None
