"""Lists of plain objects completed in one pass: graphql-core's executor with a fast path.

Why: a page of 100 stocks with their items and locations is ~1,200 field completions.
graphql-core completes each one through `execute_field` → resolver → `complete_value`
(a resolve info, an argument check and a few awaitable checks per field): ~30 µs a
field on the benchmark machine, 30+ ms a page — 90% of a request. Most of those fields
are plain attributes of Strawberry objects the page query already built.

What: `FastListExecutor.complete_list_value` compiles, once per list field of an
operation, the selection of the list's items into closures (field collection, fragments,
aliases and @skip/@include are graphql-core's own `collect_subfields`), then builds each
item's dict directly. A field is compiled only when its answer is certain without
running anything:

- a Strawberry field with no resolver, no arguments, no field extensions (so no
  permission classes): the attribute, as Strawberry's default resolver reads it;
- a relation declared `prefetched("attr")` (its resolver returns `self.attr` unchanged
  whenever that is not None, see Stock.location): the attribute, when set;
- a field with arguments declared `prefetched_by_arguments(read)`: its arguments are
  coerced once per operation as graphql-core coerces them (variables, defaults), and
  `read(arguments)` gives the reader of each object's answer, which raises when the
  page did not prefetch it (see InventoryItem.availableToSell);
- `__typename`; scalars and enums through the type's own `coerce_output_value`
  (str/bool/int answered as is where graphql-core would); lists; objects whose type
  check is Strawberry's own (`is_type_of` ignores its info); Strawberry unions, resolved
  the way Strawberry's union resolver does for a non-generic object.

Anything else — a resolver, another field's argument, an interface, a middleware (a
schema extension with `resolve`), @defer/@stream — leaves the list to graphql-core. At
run time, anything unexpected — a null in a non-null position, a prefetched relation
or argument field not set, an awaitable, an exception (even from a serializer), an
object of another class — abandons the fast pass for the whole list, and graphql-core
completes it from the start, so errors, their paths and null propagation are
graphql-core's. The fast pass only reads
attributes and serializes values, so running it and then the generic path is safe.
tests/graphql/test_fast_lists.py compares both paths on varied selections.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import operator
import uuid
from collections.abc import Callable
from typing import Any, cast

from graphql import (
    ExecutionResult,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLString,
    GraphQLUnionType,
    OperationType,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

__all__ = ["FastListExecutor", "prefetched", "prefetched_by_arguments"]

BACKREF = "strawberry-definition"
PREFETCHED = "graphql_schema.prefetched"
PREFETCHED_BY_ARGUMENTS = "graphql_schema.prefetched_by_arguments"

Complete = Callable[[Any], Any]
ReadWith = Callable[[dict[str, Any]], Complete]

# Values that are never awaitable nor an exception: no check needed before serializing.
_PLAIN = frozenset(
    {str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date, uuid.UUID}
)
# Built-in scalars whose coercion returns these values unchanged (graphql-core's rules).
_AS_IS: dict[GraphQLLeafType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class _Unexpected(Exception):
    """The fast pass met something only graphql-core should answer."""


def prefetched(attribute: str) -> dict[str, str]:
    """`strawberry.field(metadata=...)` of a relation whose resolver returns
    `getattr(self, attribute)` unchanged whenever it is not None."""
    return {PREFETCHED: attribute}


def prefetched_by_arguments(read: ReadWith) -> dict[str, ReadWith]:
    """`strawberry.field(metadata=...)` of a field with arguments whose resolver, called
    with the GraphQL arguments `arguments` (schema names, coerced), returns
    `read(arguments)(self)` unchanged whenever that call does not raise; `read` itself
    raises when the arguments are not ones it can answer."""
    return {PREFETCHED_BY_ARGUMENTS: read}


class FastListExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing lists of plain objects in one pass."""

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if type(result) is list or type(result) is tuple:
            complete = self._item_completer(return_type.of_type, field_details_list)
            if complete is not None:
                try:
                    return [complete(item) for item in result]
                except Exception:
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A subscription executes its selection once per event (~10 fields through
        # graphql-core each time): its objects are completed in one pass too, compiled
        # once per subscription (see build_per_event_executor).
        if self.operation.operation is OperationType.SUBSCRIPTION:
            complete = self._event_completer(return_type, field_details_list)
            if complete is not None:
                try:
                    return complete(result)
                except Exception:
                    pass
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def build_per_event_executor(self, payload: Any) -> Any:
        # The events' executors are shallow copies of this one: created here, the memo of
        # compiled objects is theirs to share (the same document and variables; keyed by
        # the document's nodes, so it holds one entry per object selection, not per event).
        self.__dict__.setdefault("_fast_events", {})
        return super().build_per_event_executor(payload)

    def __copy__(self) -> FastListExecutor:
        # What copy.copy does for an object with a plain __dict__ (graphql-core copies the
        # executor for every event), without its __reduce_ex__ round: ~4x faster.
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    def execute_operation(self, serially: bool | None = None) -> Any:
        # graphql-core executes a subscription operation only for an event (on the event's
        # executor, the event as root value); Strawberry's root field returns the event, so
        # the answer is the event's object completed under the field's response key. That
        # saves, per event, collecting the root fields, the field's resolve info, coercing
        # its arguments again and calling its resolver. Anything the compiled pass does not
        # answer goes to graphql-core, as for objects.
        if (
            self.operation.operation is OperationType.SUBSCRIPTION
            and self.abort_signal is None
            and self.hooks is None
        ):
            root = self._event_root()
            if root is not None:
                key, complete = root
                try:
                    return ExecutionResult({key: complete(self.root_value)}, None)
                except Exception:
                    pass
        return super().execute_operation(serially)

    def _event_root(self) -> tuple[str, Complete] | None:
        compiled: dict[Any, Any] = self.__dict__.setdefault("_fast_events", {})
        found = compiled.get(_EVENT_ROOT, _NOT_COMPILED)
        if found is _NOT_COMPILED:
            found = compiled[_EVENT_ROOT] = self._compile_event_root()
        return cast(tuple[str, Complete] | None, found)

    def _compile_event_root(self) -> tuple[str, Complete] | None:
        schema = self.schema
        root_type = schema.subscription_type
        if root_type is None:
            return None
        try:
            grouped, new_defer_usages, _ = collect_fields(
                schema,
                self.fragments,
                self.variable_values,
                root_type,
                self.operation,
                self.hide_suggestions,
            )
        except Exception:
            return None
        if new_defer_usages or len(grouped) != 1:
            return None
        ((key, details),) = grouped.items()
        first = details[0]
        field_def = schema.get_field(root_type, first.node.name.value)
        if field_def is None or not returns_its_event(field_def):
            return None
        if field_def.args or first.node.arguments:
            # Coerced at subscribe already; graphql-core would again for each event.
            try:
                get_argument_values(
                    field_def,
                    first.node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
            except Exception:
                return None
        complete = self._compile_items(field_def.type, details)
        return None if complete is None else (key, complete)

    def _event_completer(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        # Keyed by the document's field nodes: each event collects its fields anew.
        compiled: dict[Any, tuple[Any, Complete | None]]
        compiled = self.__dict__.setdefault("_fast_events", {})
        key = (object_type, *(id(details.node) for details in field_details_list))
        found = compiled.get(key)
        if found is None:
            found = compiled[key] = (
                [details.node for details in field_details_list],
                self._compile_items(object_type, field_details_list),
            )
        return found[1]

    def _item_completer(
        self, item_type: GraphQLOutputType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        compiled: dict[tuple[GraphQLOutputType, int], tuple[Any, Complete | None]]
        compiled = self.__dict__.setdefault("_fast_compiled", {})
        key = (item_type, id(field_details_list))
        found = compiled.get(key)
        if found is None:
            # Like graphql-core's own memo: keep the list alive so its id is not reused.
            found = compiled[key] = (
                field_details_list,
                self._compile_items(item_type, field_details_list),
            )
        return found[1]

    def _compile_items(
        self, item_type: GraphQLOutputType, field_details_list: FieldDetailsList
    ) -> Complete | None:
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return None
        if any(self.schema.get_directive(name) for name in ("defer", "stream")):
            return None
        try:
            return _Compiler(self).completer(item_type, field_details_list)
        except _Unsupported:
            return None


# Where Strawberry makes a subscription field's resolver for its events: it returns the
# event unchanged (tests/graphql/test_fast_subscriptions.py pins it).
STRAWBERRY_EVENT_RESOLVER = "GraphQLCoreConverter.from_field.<locals>.<lambda>"

_EVENT_ROOT = "event root"
_NOT_COMPILED = object()


def returns_its_event(field: GraphQLField) -> bool:
    """A Strawberry subscription field, whose resolver returns each event as it is."""
    resolve = field.resolve
    return (
        field.subscribe is not None
        and resolve is not None
        and getattr(resolve, "__qualname__", None) == STRAWBERRY_EVENT_RESOLVER
        and getattr(resolve, "__module__", None) == "strawberry.schema.schema_converter"
    )


class _Unsupported(Exception):
    """A selection the fast pass does not compile."""


class _Compiler:
    def __init__(self, executor: FastListExecutor) -> None:
        self._executor = executor
        self._is_awaitable = executor.is_awaitable

    def completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        non_null = isinstance(type_, GraphQLNonNull)
        inner: GraphQLOutputType = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if is_leaf_type(inner):
            return self._leaf(inner, non_null)  # type: ignore[arg-type]
        complete = self._of_type(inner, details)
        return _non_null(complete) if non_null else _nullable(complete)

    def _of_type(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        if is_list_type(type_):
            return _list(self.completer(type_.of_type, details))  # type: ignore[attr-defined]
        if isinstance(type_, GraphQLUnionType):
            return self._union(type_, details)
        if is_object_type(type_):
            return self._object(type_, details)  # type: ignore[arg-type]
        raise _Unsupported  # interfaces: their resolve_type needs an info

    def _leaf(self, type_: GraphQLLeafType, non_null: bool) -> Complete:
        """Nullness and coercion of a scalar or enum in one call (one per field)."""
        is_awaitable = self._is_awaitable
        coerce = type_.coerce_output_value
        as_is = _AS_IS.get(type_)

        def leaf(value: Any) -> Any:
            kind = type(value)
            if kind is as_is:
                return value
            if value is None or value is Undefined:
                if non_null:
                    raise _Unexpected
                return None
            if kind is int and type_ is GraphQLInt and _INT_MIN <= value <= _INT_MAX:
                return value
            if (
                kind not in _PLAIN
                and not isinstance(value, enum.Enum)
                and (isinstance(value, Exception) or is_awaitable(value))
            ):
                raise _Unexpected
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise _Unexpected
            return coerced

        return leaf

    def _object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> Complete:
        definition = type_.extensions.get(BACKREF)
        if not isinstance(definition, StrawberryObjectDefinition):
            raise _Unsupported
        is_type_of = type_.is_type_of
        # Strawberry's generated check ignores its info; a type's own may not.
        if is_type_of is not None and definition.is_type_of is not None:
            raise _Unsupported
        grouped, new_defer_usages, _ = self._executor.collect_subfields(type_, details)
        if new_defer_usages:
            raise _Unsupported
        steps = [
            step
            for key, field_details in grouped.items()
            if (step := self._step(type_, key, field_details)) is not None
        ]
        is_awaitable = self._is_awaitable
        origin = definition.origin

        def complete_object(value: Any) -> dict[str, Any]:
            if is_type_of is not None:
                # An uncast instance of the type itself passes Strawberry's check: skip it.
                exact = type(value) is origin and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None
                if not exact and not is_type_of(value, None):  # type: ignore[arg-type]
                    raise _Unexpected
            elif isinstance(value, Exception) or is_awaitable(value):
                raise _Unexpected
            return {key: complete(read(value)) for key, read, complete in steps}

        return complete_object

    def _step(
        self, parent: GraphQLObjectType, key: str, details: FieldDetailsList
    ) -> tuple[str, Complete, Complete] | None:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return key, lambda _value: type_name, _same
        field_def = self._executor.schema.get_field(parent, name)
        if field_def is None:
            return None  # graphql-core skips it too (validation refuses it before)
        field = field_def.extensions.get(BACKREF)
        if not isinstance(field, StrawberryField) or field.extensions:
            raise _Unsupported
        read: Complete
        by_arguments = field.metadata.get(PREFETCHED_BY_ARGUMENTS)
        if by_arguments is not None and field.base_resolver is not None:
            read = self._read_with_arguments(by_arguments, field_def, details)
        elif node.arguments or field_def.args:
            raise _Unsupported
        elif field.base_resolver is None:
            if not getattr(field_def.resolve, "_is_default", False):
                raise _Unsupported
            if field.default_resolver is not getattr:
                raise _Unsupported
            read = operator.attrgetter(field.python_name)
        else:
            attribute = field.metadata.get(PREFETCHED)
            if attribute is None or field.arguments:
                raise _Unsupported
            read = _set_attribute(attribute)
        return key, read, self.completer(field_def.type, details)

    def _read_with_arguments(
        self, by_arguments: ReadWith, field_def: GraphQLField, details: FieldDetailsList
    ) -> Complete:
        # The arguments graphql-core would pass (it reads the first node's, as here); an
        # argument it would refuse, or one the reader cannot answer, leaves it the list.
        first = details[0]
        executor = self._executor
        try:
            arguments = get_argument_values(
                field_def,
                first.node,
                executor.variable_values,
                first.fragment_variable_values,
                executor.hide_suggestions,
            )
            return by_arguments(arguments)
        except Exception:
            raise _Unsupported from None

    def _union(self, type_: GraphQLUnionType, details: FieldDetailsList) -> Complete:
        if not isinstance(type_.extensions.get(BACKREF), StrawberryUnion):
            raise _Unsupported
        # Strawberry answers the member whose definition is the object's own (not generic);
        # found here by the object's class, each member's own.
        by_class: dict[type, tuple[StrawberryObjectDefinition, Complete]] = {}
        for member in type_.types:
            definition = member.extensions.get(BACKREF)
            if (
                isinstance(definition, StrawberryObjectDefinition)
                and definition.concrete_of is None
                and not definition.is_graphql_generic
            ):
                by_class[definition.origin] = (definition, self._object(member, details))

        def complete_member(value: Any) -> Any:
            found = by_class.get(type(value))
            if found is None or getattr(value, TYPE_CAST_ATTRIBUTE, None) is not None:
                raise _Unexpected
            definition, complete = found
            if getattr(value, "__strawberry_definition__", None) is not definition:
                raise _Unexpected
            return complete(value)

        return complete_member


def _same(value: Any) -> Any:
    return value


def _set_attribute(attribute: str) -> Complete:
    read = operator.attrgetter(attribute)

    def read_set(value: Any) -> Any:
        found = read(value)
        if found is None:
            raise _Unexpected  # not prefetched: the resolver loads it
        return found

    return read_set


def _non_null(complete: Complete) -> Complete:
    def non_null(value: Any) -> Any:
        if value is None or value is Undefined:
            raise _Unexpected
        completed = complete(value)
        if completed is None:
            raise _Unexpected
        return completed

    return non_null


def _nullable(complete: Complete) -> Complete:
    def nullable(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        return complete(value)

    return nullable


def _list(complete_item: Complete) -> Complete:
    def complete_list(value: Any) -> list[Any]:
        if type(value) is not list and type(value) is not tuple:
            raise _Unexpected
        return [complete_item(item) for item in value]

    return complete_list
