"""Fields resolved for a whole column at once: `@batched(column)` on a resolver.

A Strawberry resolver that awaits a dataloader runs once per object: on a page of 100
items, 100 coroutines stepped through the loader's futures, and a nested list (each
item's stocks, each recipe line's material) multiplies that. A field declared with
`@batched(column)` is resolved by the plan with one call per column,
`await column(objects, info, **arguments)`, answering one value per object: the values
its resolver answers for each (tests/graphql/test_fast_lists.py compares both).
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
# (objects, Strawberry info, **the field's arguments) -> one value per object
ColumnResolver = Callable[..., Awaitable[list[Any]]]
F = TypeVar("F", bound=Callable[..., Any])


def batched(column: ColumnResolver) -> Callable[[F], F]:
    """A Strawberry field (its resolver decorated) whose metadata names its resolver for
    a whole column of objects."""
    return cast(Callable[[F], F], strawberry.field(metadata={COLUMN: column}))


def column_resolver(field: StrawberryField) -> ColumnResolver | None:
    metadata: Mapping[str, Any] = field.metadata or {}
    found = metadata.get(COLUMN)
    return found if callable(found) else None
