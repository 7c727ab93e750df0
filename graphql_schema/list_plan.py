"""A list's selection executed field by field for the whole list, planned once per operation.

Why: graphql-core completes a list of 100 stocks node by node and field by field (a
resolve info, an argument check, a resolver call, awaitable checks and a completion per
field: ~1,500 of them for a dashboard page, 15 ms of CPU). A dataloader field makes it
worse: 100 coroutines, each awaited through graphql-core's gathering.

What: `plan_list(executor, item_type, field details)` plans the list's items once per
operation (per list field of the document; field collection, fragments, aliases and
@skip/@include are graphql-core's own `collect_subfields`): for each object type, the
fields it selects, each with how to resolve it for a whole column of objects and how to
complete its values. Running the plan on a list then, level by level:

- resolves each field once for all the objects of the level: a plain Strawberry field
  (no resolver, no extension) is read as an attribute; a Strawberry resolver is called
  per object with the arguments converted once (its Info built once per level); any
  other field (permission classes, field extensions, a non-Strawberry resolver) through
  its GraphQL resolve function, the arguments coerced once;
- settles every awaitable of the level together, in lockstep rounds, so a dataloader
  field is one batched call per list (and per round), with no task per object;
- completes each column by its type: scalars and enums by the type's own coercion,
  lists flattened into one column, unions and interfaces grouped by runtime type
  (the type's own `resolve_type`), objects checked by their `is_type_of`, and nested
  objects as the next level, every column's next level started together;
- writes the result rows.

Anything the plan does not know (@defer/@stream, a middleware, a field graphql-core would
not find) leaves the list to graphql-core. At run time, anything unexpected (an
exception, a null in a non-null position, a value of the wrong type, a coercion that
refuses) raises `Unplanned`, and the caller completes the list with graphql-core from
the start, so errors, their paths and null propagation are graphql-core's. Resolvers
only read (their loaders cache what they loaded), so resolving twice is safe.

Only public APIs of graphql-core (`GraphQLField.resolve`, `resolve_type`, `is_type_of`,
`coerce_output_value`, the executor's `collect_subfields` and `build_resolve_info`) and
Strawberry's field definitions (`StrawberryField`, its resolver and argument conversion)
are used.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import enum
import operator
import uuid
from collections.abc import Awaitable, Callable, Generator
from typing import Any, cast

from graphql import (
    GraphQLAbstractType,
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
    Undefined,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField
from strawberry.types.union import StrawberryUnion

__all__ = ["Unplanned", "plan_list"]

BACKREF = "strawberry-definition"

Column = list[Any]
# Completes a column of values of one GraphQL type: the completed column, or an awaitable.
Complete = Callable[[Column], "Column | Awaitable[Column]"]
# Resolves one field for a column of objects: one value (maybe awaitable) per object.
Resolve = Callable[[Column], Column]

# Values never awaitable nor exceptions: serialized without a check.
_PLAIN = frozenset(
    {str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date, uuid.UUID}
)
# Built-in scalars whose coercion returns these values unchanged (graphql-core's rules).
_AS_IS: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Unplanned(Exception):
    """Something only graphql-core should answer: the caller completes the list with it."""


class _Unsupported(Exception):
    """A selection the plan does not cover (found while planning)."""


def plan_list(
    executor: Any, item_type: GraphQLOutputType, details: FieldDetailsList, path: Path
) -> Complete | None:
    """The plan of a list's items, or None when graphql-core must complete the list."""
    manager = executor.middleware_manager
    if manager is not None and manager.middlewares:
        return None  # a middleware must see every field
    schema = executor.schema
    if any(schema.get_directive(name) for name in ("defer", "stream")):
        return None
    try:
        return _Planner(executor, path).values(item_type, details)
    except _Unsupported:
        return None


class _Planner:
    def __init__(self, executor: Any, path: Path) -> None:
        self._executor = executor
        self._is_awaitable = executor.is_awaitable
        # Resolvers get an info whose path is the first item's: ours do not read it.
        self._item_path = path.add_key(0, None)

    def values(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self._of_type(type_.of_type, details))
        return _nullable(self._of_type(type_, details))

    def _of_type(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete:
        if is_leaf_type(type_):
            return self._leaf(type_)  # type: ignore[arg-type]
        if isinstance(type_, GraphQLList):
            return _flattened(self.values(type_.of_type, details))
        if is_abstract_type(type_):
            return self._abstract(type_, details)  # type: ignore[arg-type]
        if is_object_type(type_):
            return self._object(type_, details)  # type: ignore[arg-type]
        raise _Unsupported

    def _leaf(self, type_: GraphQLLeafType) -> Complete:
        coerce = type_.coerce_output_value
        as_is = _AS_IS.get(type_)
        is_int = type_ is GraphQLInt
        is_awaitable = self._is_awaitable

        def one(value: Any) -> Any:
            kind = type(value)
            if kind is as_is:
                return value
            if kind is int and is_int and _INT_MIN <= value <= _INT_MAX:
                return value
            if (
                kind not in _PLAIN
                and not isinstance(value, enum.Enum)
                and (isinstance(value, Exception) or is_awaitable(value))
            ):
                raise Unplanned
            coerced = coerce(value)
            if coerced is None or coerced is Undefined:
                raise Unplanned
            return coerced

        def leaves(values: Column) -> Column:
            return [one(value) for value in values]

        return leaves

    def _abstract(self, type_: GraphQLAbstractType, details: FieldDetailsList) -> Complete:
        executor = self._executor
        schema = executor.schema
        resolve_type = type_.resolve_type or executor.type_resolver
        info = self._info(None, details, None)
        members: dict[str, Complete] = {}

        def member(name: Any) -> Complete:
            found = members.get(name)
            if found is None:
                runtime = schema.get_type(name) if isinstance(name, str) else None
                if not is_object_type(runtime) or not schema.is_sub_type(type_, runtime):
                    raise Unplanned
                try:
                    found = members[name] = self._object(runtime, details)  # type: ignore[arg-type]
                except _Unsupported:
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
                    found = by_class[kind] = _type_name(resolve_type(value, info, type_))
                return found
            return _type_name(resolve_type(value, info, type_))

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
                    _scatter(completed, positions, done)
                else:
                    later.append(_scatter_later(completed, positions, done))
            if later:
                return _after(asyncio.gather(*later), completed)
            return completed

        return by_runtime_type

    def _object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> Complete:
        grouped, new_defer_usages, _ = self._executor.collect_subfields(type_, details)
        if new_defer_usages:
            raise _Unsupported
        keys: list[str] = []
        resolvers: list[Resolve] = []
        completers: list[Complete] = []
        for key, field_details in grouped.items():
            step = self._field(type_, field_details)
            if step is not None:
                keys.append(key)
                resolvers.append(step[0])
                completers.append(step[1])
        is_type_of = type_.is_type_of
        info = self._info(None, details, type_)
        checked: set[type] = set()
        is_awaitable = self._is_awaitable
        # Strawberry's own check (a type with interfaces) answers by the object's class
        # unless the object was cast: an instance of a class that passed passes.
        definition = type_.extensions.get(BACKREF)
        by_class = isinstance(definition, StrawberryObjectDefinition) and (
            definition.is_type_of is None
        )

        def objects(values: Column) -> Column | Awaitable[Column]:
            if is_type_of is not None:
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
            columns = [resolve(values) for resolve in resolvers]
            waiting = [
                (column, at)
                for column in columns
                for at, value in enumerate(column)
                if type(value) not in _PLAIN and value is not None and is_awaitable(value)
            ]
            if waiting:
                return _complete_after(_settle(waiting), len(values), keys, columns, completers)
            return _complete(len(values), keys, columns, completers)

        return objects

    def _field(
        self, parent: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[Resolve, Complete] | None:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            type_name = parent.name
            return (lambda values: [type_name] * len(values)), _same
        field_def = self._executor.schema.get_field(parent, name)
        if field_def is None:
            return None  # graphql-core skips it too (validation refuses it before)
        return self._resolver(parent, field_def, details), self.values(field_def.type, details)

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
            raise _Unsupported from None  # graphql-core reports it, on its path
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
                    return _attribute(field.python_name)
            else:
                info = self._info(field_def, details, parent)
                return _strawberry_resolver(field, info, arguments, executor)
        resolve = field_def.resolve or executor.field_resolver
        info = self._info(field_def, details, parent)

        def resolved(values: Column) -> Column:
            return [resolve(value, info, **arguments) for value in values]

        return resolved

    def _info(
        self,
        field_def: GraphQLField | None,
        details: FieldDetailsList,
        parent: GraphQLObjectType | None,
    ) -> GraphQLResolveInfo[Any]:
        """An info for a whole level (resolve_type and is_type_of take one too)."""
        node = details[0].node
        path = self._item_path.add_key(node.alias.value if node.alias else node.name.value)
        placeholder = GraphQLField(GraphQLString) if field_def is None else field_def
        return self._executor.build_resolve_info(  # type: ignore[no-any-return]
            placeholder, [d.node for d in details], parent, path
        )


_SOURCE = object()  # where the object goes in a Strawberry resolver's arguments


def _strawberry_resolver(
    field: StrawberryField,
    raw_info: GraphQLResolveInfo[Any],
    arguments: dict[str, Any],
    executor: Any,
) -> Resolve:
    """A Strawberry resolver called as Strawberry calls it, its arguments built once."""
    strawberry_schema = executor.schema.extensions[BACKREF]
    info = strawberry_schema.config.info_class(_raw_info=raw_info, _field=field)
    try:
        args, kwargs = get_arguments(
            field=field,
            source=_SOURCE,
            info=info,
            kwargs=arguments,
            config=strawberry_schema.config,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
        )
    except Exception:
        raise _Unsupported from None
    call = field.base_resolver
    assert call is not None
    at_args = [at for at, value in enumerate(args) if value is _SOURCE]
    at_kwargs = [name for name, value in kwargs.items() if value is _SOURCE]
    if at_args == [0] and len(args) == 1 and not at_kwargs:
        method: Any = call.wrapped_func
        if kwargs:
            return lambda values: [method(value, **kwargs) for value in values]
        return lambda values: [method(value) for value in values]

    def resolved(values: Column) -> Column:
        column = []
        for value in values:
            for at in at_args:
                args[at] = value
            for name in at_kwargs:
                kwargs[name] = value
            column.append(call(*args, **kwargs))
        return column

    return resolved


def _type_name(name: Any) -> str:
    if type(name) is not str:
        raise Unplanned  # an awaitable or no type: graphql-core's to answer
    return name  # type: ignore[no-any-return]


def _attribute(name: str) -> Resolve:
    read = operator.attrgetter(name)
    return lambda values: [read(value) for value in values]


def _same(values: Column) -> Column:
    return values


def _non_null(complete: Complete) -> Complete:
    def non_null(values: Column) -> Column | Awaitable[Column]:
        for value in values:
            if value is None or value is Undefined:
                raise Unplanned
        return complete(values)

    return non_null


def _nullable(complete: Complete) -> Complete:
    def nullable(values: Column) -> Column | Awaitable[Column]:
        positions = [
            at for at, value in enumerate(values) if value is not None and value is not Undefined
        ]
        if len(positions) == len(values):
            return complete(values)
        completed: Column = [None] * len(values)
        if not positions:
            return completed
        done = complete([values[at] for at in positions])
        if isinstance(done, list):
            _scatter(completed, positions, done)
            return completed
        return _after(_scatter_later(completed, positions, done), completed)

    return nullable


def _flattened(complete_item: Complete) -> Complete:
    """Lists of a column completed as one column of their items, then split back."""

    def lists(values: Column) -> Column | Awaitable[Column]:
        sizes = []
        items: Column = []
        for value in values:
            if type(value) is not list and type(value) is not tuple:
                raise Unplanned  # other iterables, async iterables: graphql-core's
            sizes.append(len(value))
            items.extend(value)
        done = complete_item(items)
        if isinstance(done, list):
            return _split(done, sizes)
        return _then(done, lambda flat: _split(flat, sizes))

    return lists


def _split(flat: Column, sizes: list[int]) -> Column:
    out, start = [], 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out


def _complete(
    size: int, keys: list[str], columns: list[Column], completers: list[Complete]
) -> Column | Awaitable[Column]:
    completed = [complete(column) for complete, column in zip(completers, columns, strict=True)]
    later = [at for at, column in enumerate(completed) if not isinstance(column, list)]
    if later:
        return _rows_later(size, keys, completed, later)
    return _rows(size, keys, cast(list[Column], completed))


def _rows(size: int, keys: list[str], completed: list[Column]) -> Column:
    if not keys:
        return [{} for _ in range(size)]
    return [dict(zip(keys, row, strict=True)) for row in zip(*completed, strict=True)]


async def _rows_later(size: int, keys: list[str], completed: list[Any], later: list[int]) -> Column:
    # Every column's next level started together: their loaders batch in the same rounds.
    done = await asyncio.gather(*(completed[at] for at in later))
    for at, column in zip(later, done, strict=True):
        completed[at] = column
    return _rows(size, keys, cast(list[Column], completed))


async def _complete_after(
    settling: Awaitable[None],
    size: int,
    keys: list[str],
    columns: list[Column],
    completers: list[Complete],
) -> Column:
    await settling
    rows = _complete(size, keys, columns, completers)
    return rows if isinstance(rows, list) else await rows


async def _settle(waiting: list[tuple[Column, int]]) -> None:
    """Await every awaitable of a level together, writing each value in its place.

    Every object's resolver runs up to its first wait in the same loop turn, so each
    dataloader answers the level in one batch; after that, whichever waits are over go on
    together (a batch answers all its keys at once, so they stay together). No task is
    made per object: each awaitable is stepped as a task would step it.
    """
    running: list[_Running] = []
    try:
        for column, at in waiting:
            _step(running, column, at, column[at].__await__())
        while running:
            futures = [yielded for *_, yielded in running if yielded is not None]
            if any(not isinstance(future, asyncio.Future) for future in futures):
                raise Unplanned  # something other than asyncio's futures
            if len(futures) == len(running):
                await asyncio.wait(futures, return_when=asyncio.FIRST_COMPLETED)
            else:
                await asyncio.sleep(0)  # a bare yield: go on at the next turn
            current, running = running, []
            for entry in current:
                yielded = entry[3]
                if yielded is None or yielded.done():
                    _step(running, entry[0], entry[1], entry[2])
                else:
                    running.append(entry)
    except BaseException:
        for entry in running:
            entry[2].close()
        raise


_Running = tuple[Column, int, Generator[Any, None, Any], Any]


def _step(
    running: list[_Running],
    column: Column,
    at: int,
    steps: Generator[Any, None, Any],
) -> None:
    try:
        yielded = steps.send(None)
    except StopIteration as stop:
        column[at] = stop.value
    else:
        if isinstance(yielded, asyncio.Future):
            # What a task does with a future it is handed: another awaiter of the same
            # future (two stocks of one location) may now yield it too.
            yielded._asyncio_future_blocking = False
        running.append((column, at, steps, yielded))


def _scatter(into: Column, positions: list[int], values: Column) -> None:
    for at, value in zip(positions, values, strict=True):
        into[at] = value


async def _scatter_later(into: Column, positions: list[int], values: Awaitable[Column]) -> None:
    _scatter(into, positions, await values)


async def _after(awaitable: Awaitable[Any], result: Column) -> Column:
    await awaitable
    return result


async def _then(awaitable: Awaitable[Column], then: Callable[[Column], Column]) -> Column:
    return then(await awaitable)
