"""The plan of a list's items: per object type, each selected field's resolve and complete
steps, built once per list field of the operation (see the package's docstring)."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

from graphql_schema.list_plan.batch import column_resolver
from graphql_schema.list_plan.bound import InfoSlot, running
from graphql_schema.list_plan.columns import (
    PLAIN,
    Column,
    Complete,
    Resolve,
    Unplanned,
    after,
    complete_after,
    complete_rows,
    flattened,
    non_null,
    nullable,
    same,
    scatter,
    scatter_later,
)
from graphql_schema.list_plan.leaves import leaves
from graphql_schema.list_plan.resolvers import (
    BACKREF,
    RequestBound,
    Unsupported,
    attribute,
    column_call,
    is_attribute,
    kept,
    strawberry_resolver,
    type_name,
)
from graphql_schema.list_plan.settle import settle, settle_with_batches

STRAWBERRY_DEFINITION = "__strawberry_definition__"


def plan_list(
    executor: Any,
    item_type: GraphQLOutputType,
    details: FieldDetailsList,
    path: Path,
    *,
    keep: bool = False,
) -> Complete | None:
    """The plan of a list's items, or None when graphql-core must complete the list.

    `keep`: the plan will run for later requests of the same operation and variables too
    (it holds InfoSlots, never a request's info); raises RequestBound when it would hold
    an argument value of this request that is not plain (plan it again without `keep`)."""
    manager = executor.middleware_manager
    if manager is not None and manager.middlewares:
        return None  # a middleware must see every field
    schema = executor.schema
    if any(schema.get_directive(name) for name in ("defer", "stream")):
        return None
    try:
        return _Planner(executor, path, keep).values(item_type, details)
    except Unsupported:
        return None


class _Planner:
    def __init__(self, executor: Any, path: Path, keep: bool) -> None:
        self._keep = keep
        self._is_awaitable = executor.is_awaitable
        # Resolvers get an info whose path is the first item's: ours do not read it.
        self._item_path = path.add_key(0, None)

    @property
    def _executor(self) -> Any:
        # The running request's (set by the executor around planning and running): a kept
        # plan plans a union's member types when one first comes, on a later request, and
        # must not hold the planning request (its context, its loaders' rows).
        return running()

    def values(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        of_type = get_nullable_type(type_)
        if is_leaf_type(of_type):
            # Nulls are the leaves' own to keep or refuse, in their one pass.
            return leaves(of_type, self._is_awaitable, nullable=of_type is type_)  # type: ignore[arg-type]
        if isinstance(type_, GraphQLNonNull):
            return non_null(self._of_type(type_.of_type, details))
        return nullable(self._of_type(type_, details))

    def _of_type(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        if isinstance(type_, GraphQLList):
            return flattened(self.values(type_.of_type, details))
        if is_abstract_type(type_):
            return self._abstract(type_, details)  # type: ignore[arg-type]
        if is_object_type(type_):
            return self._object(type_, details)  # type: ignore[arg-type]
        raise Unsupported

    def _abstract(self, type_: GraphQLAbstractType, details: FieldDetailsList) -> Complete:
        executor = self._executor
        schema = executor.schema
        resolve_type = type_.resolve_type or executor.type_resolver
        slot = self._info(None, details, None)
        members: dict[str, Complete] = {}

        def member(name: Any) -> Complete:
            found = members.get(name)
            if found is None:
                runtime = schema.get_type(name) if isinstance(name, str) else None
                if not is_object_type(runtime) or not schema.is_sub_type(type_, runtime):
                    raise Unplanned
                try:
                    found = members[name] = self._object(runtime, details)  # type: ignore[arg-type]
                except (Unsupported, RequestBound):
                    # Planned while running (on a kept plan, with the planning request's
                    # executor): what it cannot keep is graphql-core's to answer.
                    raise Unplanned from None
            return found

        # A Strawberry union answers by the object's class, unless it was cast
        # (strawberry.cast marks the instance): the answer is kept per class.
        by_class: dict[type, str] | None = (
            {} if isinstance(type_.extensions.get(BACKREF), StrawberryUnion) else None
        )

        def runtime_name(value: Any) -> str:
            kind = type(value)
            if by_class is not None and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                found = by_class.get(kind)
                if found is None:
                    found = by_class[kind] = type_name(resolve_type(value, slot.raw(), type_))
                return found
            return type_name(resolve_type(value, slot.raw(), type_))

        def by_runtime_type(values: Column) -> Column | Awaitable[Column]:
            groups: dict[str, list[int]] = {}
            for at, value in enumerate(values):
                groups.setdefault(runtime_name(value), []).append(at)
            if len(groups) == 1:
                ((name, _),) = groups.items()
                return member(name)(values)
            completed: Column = [None] * len(values)
            later: list[Awaitable[None]] = []
            for name, positions in groups.items():
                done = member(name)([values[at] for at in positions])
                if isinstance(done, list):
                    scatter(completed, positions, done)
                else:
                    later.append(scatter_later(completed, positions, done))
            if later:
                return after(asyncio.gather(*later), completed)
            return completed

        return by_runtime_type

    def _object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> Complete:
        grouped, new_defer_usages, _ = self._executor.collect_subfields(type_, details)
        if new_defer_usages:
            raise Unsupported
        keys: list[str] = []
        resolvers: list[Resolve] = []
        completers: list[Complete] = []
        # The columns whose values may be awaitables to settle before completing them.
        # A leaf read from an attribute is not scanned: an awaitable there (an attribute
        # holding one) fails its leaf's coercion, and graphql-core answers the list.
        watched: list[int] = []
        for key, field_details in grouped.items():
            step = self._field(type_, field_details)
            if step is not None:
                if step[2]:
                    watched.append(len(keys))
                keys.append(key)
                resolvers.append(step[0])
                completers.append(step[1])
        is_type_of = type_.is_type_of
        slot = self._info(None, details, type_)
        checked: set[type] = set()
        is_awaitable = self._is_awaitable
        # Strawberry's own check (a type with interfaces) answers by the object's class
        # unless the object was cast: an instance of a class that passed passes.
        definition = type_.extensions.get(BACKREF)
        by_class = isinstance(definition, StrawberryObjectDefinition) and (
            definition.is_type_of is None
        )

        # Types whose values are never awaitable: plain values, and (learnt) GraphQL
        # objects and enums, whose classes define no __await__; the scan below then skips
        # a page's hundreds of related objects without asking each.
        settled: set[type] = set(PLAIN)

        def may_wait(value: Any) -> bool:
            if is_awaitable(value):
                return True
            kind = type(value)
            if hasattr(kind, STRAWBERRY_DEFINITION) or isinstance(value, enum.Enum):
                settled.add(kind)
            return False

        def objects(values: Column) -> Column | Awaitable[Column]:
            if is_type_of is not None:
                info = slot.raw()
                for value in values:
                    kind = type(value)
                    if (
                        by_class
                        and kind in checked
                        and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None
                    ):
                        continue
                    passed = is_type_of(value, info)
                    if passed is not True and (not passed or is_awaitable(passed)):
                        raise Unplanned  # refused, or to be awaited: graphql-core's
                    if by_class and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
                        checked.add(kind)
            else:
                for value in values:
                    kind = type(value)
                    if kind not in checked:
                        if isinstance(value, Exception) or is_awaitable(value):
                            raise Unplanned
                        checked.add(kind)
            columns: list[Any] = [resolve(values) for resolve in resolvers]
            batches = [at for at, column in enumerate(columns) if type(column) is not list]
            waiting = [
                (column, at)
                for column in [columns[at] for at in watched]
                if type(column) is list
                for at, value in enumerate(column)
                if type(value) not in settled and value is not None and may_wait(value)
            ]
            if batches:
                settling = settle_with_batches(waiting, columns, batches, len(values))
                return complete_after(settling, len(values), keys, columns, completers)
            if waiting:
                return complete_after(settle(waiting), len(values), keys, columns, completers)
            return complete_rows(len(values), keys, columns, completers)

        return objects

    def _field(
        self, parent: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[Resolve, Complete, bool] | None:
        """The field's resolve and complete steps, and whether its values may wait."""
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return (lambda values: [type_name] * len(values)), same, False
        field_def = self._executor.schema.get_field(parent, name)
        if field_def is None:
            return None  # graphql-core skips it too (validation refuses it before)
        resolve = self._resolver(parent, field_def, details)
        leaf = is_leaf_type(get_nullable_type(field_def.type))
        return resolve, self.values(field_def.type, details), not (leaf and is_attribute(resolve))

    def _resolver(
        self, parent: GraphQLObjectType, field_def: GraphQLField, details: FieldDetailsList
    ) -> Resolve:
        executor = self._executor
        first = details[0]
        try:
            arguments = (
                get_argument_values(
                    field_def,
                    first.node,
                    executor.variable_values,
                    first.fragment_variable_values,
                    executor.hide_suggestions,
                )
                if field_def.args or first.node.arguments
                else {}
            )
        except Exception:
            raise Unsupported from None  # graphql-core reports it, on its path
        field = field_def.extensions.get(BACKREF)
        strawberry_schema = executor.schema.extensions.get(BACKREF)
        if (
            isinstance(field, StrawberryField)
            and not field.extensions
            # Exception handlers wrap resolvers: those go through the resolve function.
            and not strawberry_schema.schema_converter.exception_handlers
        ):
            if field.base_resolver is None:
                if field.default_resolver is getattr:
                    return attribute(field.python_name)
            else:
                slot = self._info(field_def, details, parent, field)
                column = column_resolver(field)
                if column is not None:
                    return column_call(field, column, slot, arguments, executor, self._keep)
                return strawberry_resolver(field, slot, arguments, executor, self._keep)
        resolve = field_def.resolve or executor.field_resolver
        slot = self._info(field_def, details, parent)
        if self._keep and not all(kept(value) for value in arguments.values()):
            raise RequestBound  # coerced values (input objects, lists) stay the request's

        def resolved(values: Column) -> Column:
            info = slot.raw()
            return [resolve(value, info, **arguments) for value in values]

        return resolved

    def _info(
        self,
        field_def: GraphQLField | None,
        details: FieldDetailsList,
        parent: GraphQLObjectType | None,
        field: StrawberryField | None = None,
    ) -> InfoSlot:
        """An info for a whole level (resolve_type and is_type_of take one too), built for
        each request that runs the plan."""
        node = details[0].node
        path = self._item_path.add_key(node.alias.value if node.alias else node.name.value)
        return InfoSlot(field_def, [d.node for d in details], parent, path, field)
