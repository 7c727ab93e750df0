"""How a field is resolved for a whole column: an attribute read, or a Strawberry
resolver called as Strawberry calls it with its arguments converted once."""

from __future__ import annotations

import operator
from typing import Any

from graphql import GraphQLResolveInfo
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.field import StrawberryField

from graphql_schema.list_plan.batch import ColumnResolver
from graphql_schema.list_plan.columns import Column, Resolve, Unplanned

BACKREF = "strawberry-definition"


class Unsupported(Exception):
    """A selection the plan does not cover (found while planning)."""


SOURCE = object()  # where the object goes in a Strawberry resolver's arguments


def _converted(
    field: StrawberryField,
    raw_info: GraphQLResolveInfo[Any],
    arguments: dict[str, Any],
    executor: Any,
) -> tuple[Any, list[Any], dict[str, Any]]:
    """(Strawberry info, args, kwargs) as Strawberry calls the resolver, SOURCE for the object."""
    strawberry_schema = executor.schema.extensions[BACKREF]
    info = strawberry_schema.config.info_class(_raw_info=raw_info, _field=field)
    try:
        args, kwargs = get_arguments(
            field=field,
            source=SOURCE,
            info=info,
            kwargs=arguments,
            config=strawberry_schema.config,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
        )
    except Exception:
        raise Unsupported from None
    return info, args, kwargs


def column_call(
    field: StrawberryField,
    column: ColumnResolver,
    raw_info: GraphQLResolveInfo[Any],
    arguments: dict[str, Any],
    executor: Any,
) -> Resolve:
    """A batched field (batch.py): its column resolver called once for all the objects, with
    the arguments its resolver would get (converted once), but the object and the info."""
    info, args, kwargs = _converted(field, raw_info, arguments, executor)
    if len(args) != 1 or args[0] is not SOURCE:
        raise Unsupported  # the object is not the resolver's `self`
    given = {name: value for name, value in kwargs.items() if value is not info}
    if any(value is SOURCE for value in given.values()):
        raise Unsupported
    return lambda values: column(values, info, **given)


def strawberry_resolver(
    field: StrawberryField,
    raw_info: GraphQLResolveInfo[Any],
    arguments: dict[str, Any],
    executor: Any,
) -> Resolve:
    """A Strawberry resolver called as Strawberry calls it, its arguments built once."""
    _, args, kwargs = _converted(field, raw_info, arguments, executor)
    call = field.base_resolver
    assert call is not None
    at_args = [at for at, value in enumerate(args) if value is SOURCE]
    at_kwargs = [name for name, value in kwargs.items() if value is SOURCE]
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


def type_name(name: Any) -> str:
    if type(name) is not str:
        raise Unplanned  # an awaitable or no type: graphql-core's to answer
    return name  # type: ignore[no-any-return]


def attribute(name: str) -> Resolve:
    read = operator.attrgetter(name)
    return lambda values: [read(value) for value in values]
