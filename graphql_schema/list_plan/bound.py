"""What a plan takes from the request running it: the executor, and through it the
resolve infos its resolvers are given (each request has its own context).

A plan is kept across requests of the same operation (execution.py `PlanCache`), so it
holds no info of its own: each place that passes one holds an `InfoSlot`, which builds
the info from the running request's executor the first time that request asks, and
keeps it for the rest of the request. The running executor is set by the executor
while it plans or runs a plan (`running_on`), in the task that runs it: a plan's awaitables run in
that task, or in tasks gathered from it, which copy its context.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLString
from graphql.language import FieldNode
from graphql.pyutils import Path
from strawberry.types.field import StrawberryField

__all__ = ["InfoSlot", "running", "running_on"]

# A weak reference: a timer scheduled meanwhile copies the context (asyncpg's statement
# cache keeps one for 300 s per new statement), and must not keep the request (its
# context, its loaders' rows) alive; the request's executor lives while it runs.
_running: ContextVar[weakref.ref[Any]] = ContextVar("list_plan_running")


@contextmanager
def running_on(executor: Any) -> Iterator[None]:
    """`executor` as the running one meanwhile, and the previous one again after."""
    token = _running.set(weakref.ref(executor))
    try:
        yield
    finally:
        _running.reset(token)


def running() -> Any:
    """The executor planning or running a plan in this context."""
    executor = _running.get()()
    if executor is None:
        raise LookupError("no executor is running a plan here")
    return executor


_INFOS = "_list_plan_infos"


class InfoSlot:
    """One resolve info of a plan (a field's, or a whole level's), built per request."""

    __slots__ = ("_field", "_field_def", "_nodes", "_parent", "_path", "_placeholder")

    def __init__(
        self,
        field_def: GraphQLField | None,
        nodes: list[FieldNode],
        parent: GraphQLObjectType | None,
        path: Path,
        field: StrawberryField | None = None,
    ) -> None:
        self._field_def = GraphQLField(GraphQLString) if field_def is None else field_def
        self._nodes = nodes
        self._parent = parent
        self._path = path
        self._field = field

    def raw(self) -> GraphQLResolveInfo[Any]:
        """graphql-core's info, for the running request."""
        executor = running()
        infos: dict[Any, Any] = executor.__dict__.setdefault(_INFOS, {})
        found = infos.get(self)
        if found is None:
            found = infos[self] = executor.build_resolve_info(
                self._field_def, self._nodes, self._parent, self._path
            )
        return found  # type: ignore[no-any-return]

    def strawberry(self) -> Any:
        """Strawberry's info of the field (what its resolver is given), for the running
        request."""
        executor = running()
        infos: dict[Any, Any] = executor.__dict__.setdefault(_INFOS, {})
        key = (self, "strawberry")
        found = infos.get(key)
        if found is None:
            schema = executor.schema.extensions["strawberry-definition"]
            found = infos[key] = schema.config.info_class(_raw_info=self.raw(), _field=self._field)
        return found
