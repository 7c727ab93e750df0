"""What a field's selection asks for, through Strawberry's selected_fields (fragments
merged), and results that depend only on it kept per operation and position: reading
selected_fields costs ~40 µs a request, and a page reads it on every request."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from strawberry.types.nodes import SelectedField, Selection

from graphql_schema.context import Info

V = TypeVar("V")
# (operation id, response path without list indices) -> (operation, value)
Kept = dict[tuple[int, tuple[str, ...]], tuple[Any, V]]
KEPT = 1024


def fields(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection, those of its fragments included."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from fields(selection.selections)


def connection_nodes(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    """A connection's node fields: `nodes` and `edges { node }`."""
    for field in fields(selections):
        if field.name == "nodes":
            yield field
        elif field.name == "edges":
            yield from (f for f in fields(field.selections) if f.name == "node")


def per_position(kept: Kept[V], info: Info, compute: Callable[[Info], V]) -> V:
    """`compute(info)`, kept for the same operation at the same position (a list's items
    share one): for what depends on the selection's names alone, not on variables. The
    operation is kept with the value, so its id is never another's."""
    operation = info.operation
    key = (id(operation), tuple(k for k in info.path.as_list() if isinstance(k, str)))
    found = kept.get(key)
    if found is not None and found[0] is operation:
        return found[1]
    value = compute(info)
    if len(kept) >= KEPT:
        kept.clear()
    kept[key] = (operation, value)
    return value
