"""How a field is resolved for a whole column: an attribute read, or a Strawberry
resolver called as Strawberry calls it with its arguments converted once."""

from __future__ import annotations

import datetime
import decimal
import enum
import operator
import uuid
from typing import Any

from strawberry.schema.schema_converter import get_arguments
from strawberry.types.field import StrawberryField

from graphql_schema.list_plan.batch import ColumnResolver
from graphql_schema.list_plan.bound import InfoSlot
from graphql_schema.list_plan.columns import Column, Resolve, Unplanned

BACKREF = "strawberry-definition"


class Unsupported(Exception):
    """A selection the plan does not cover (found while planning)."""


class RequestBound(Exception):
    """A plan that holds something of its request (an argument value that is not plain):
    planned for this request only, not kept for the next."""


# Argument values a kept plan may share between requests: immutable.
KEPT = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        decimal.Decimal,
        uuid.UUID,
        datetime.datetime,
        datetime.date,
    }
)


SOURCE = object()  # where the object goes in a Strawberry resolver's arguments


def _converted(
    field: StrawberryField,
    slot: InfoSlot,
    arguments: dict[str, Any],
    executor: Any,
    keep: bool,
) -> tuple[Any, list[Any], dict[str, Any]]:
    """(Strawberry info, args, kwargs) as Strawberry calls the resolver, SOURCE for the
    object; the info is the planning request's (runs put their own in its places)."""
    strawberry_schema = executor.schema.extensions[BACKREF]
    info = slot.strawberry()
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
    for value in (*args, *kwargs.values()) if keep else ():
        if value is not SOURCE and value is not info and not kept(value):
            # A converted argument the plan would share with later requests: only plain
            # values are (an input object could be changed by its resolver).
            raise RequestBound
    return info, args, kwargs


def kept(value: Any) -> bool:
    """An argument value a kept plan may share between requests: immutable."""
    return type(value) in KEPT or isinstance(value, enum.Enum)


def column_call(
    field: StrawberryField,
    column: ColumnResolver,
    slot: InfoSlot,
    arguments: dict[str, Any],
    executor: Any,
    keep: bool,
) -> Resolve:
    """A batched field (batch.py): its column resolver called once for all the objects, with
    the arguments its resolver would get (converted once), but the object and the info."""
    info, args, kwargs = _converted(field, slot, arguments, executor, keep)
    if len(args) != 1 or args[0] is not SOURCE:
        raise Unsupported  # the object is not the resolver's `self`
    given = {name: value for name, value in kwargs.items() if value is not info}
    if any(value is SOURCE for value in given.values()):
        raise Unsupported
    return lambda values: column(values, slot.strawberry(), **given)


def strawberry_resolver(
    field: StrawberryField,
    slot: InfoSlot,
    arguments: dict[str, Any],
    executor: Any,
    keep: bool,
) -> Resolve:
    """A Strawberry resolver called as Strawberry calls it, its arguments built once (the
    running request's info put in the info's places)."""
    info, args, kwargs = _converted(field, slot, arguments, executor, keep)
    call = field.base_resolver
    assert call is not None
    at_args = [at for at, value in enumerate(args) if value is SOURCE]
    at_kwargs = [name for name, value in kwargs.items() if value is SOURCE]
    info_args = [at for at, value in enumerate(args) if value is info]
    info_kwargs = [name for name, value in kwargs.items() if value is info]
    # The planning request's info is not kept (it holds that request's context): each
    # run puts its own in these places.
    args = [None if value is info else value for value in args]
    kwargs = {name: None if value is info else value for name, value in kwargs.items()}
    if at_args == [0] and len(args) == 1 and not at_kwargs:
        method: Any = call.wrapped_func
        if info_kwargs:
            (info_name,) = info_kwargs

            def with_info(values: Column) -> Column:
                given = {**kwargs, info_name: slot.strawberry()}
                return [method(value, **given) for value in values]

            return with_info
        if kwargs:
            return lambda values: [method(value, **kwargs) for value in values]
        return lambda values: [method(value) for value in values]

    def resolved(values: Column) -> Column:
        current = slot.strawberry()
        given_args = list(args)
        given_kwargs = dict(kwargs)
        for at in info_args:
            given_args[at] = current
        for name in info_kwargs:
            given_kwargs[name] = current
        column = []
        for value in values:
            for at in at_args:
                given_args[at] = value
            for name in at_kwargs:
                given_kwargs[name] = value
            column.append(call(*given_args, **given_kwargs))
        return column

    return resolved


def type_name(name: Any) -> str:
    if type(name) is not str:
        raise Unplanned  # an awaitable or no type: graphql-core's to answer
    return name  # type: ignore[no-any-return]


def attribute(name: str) -> Resolve:
    read = operator.attrgetter(name)

    def attribute(values: Column) -> Column:
        return list(map(read, values))  # no Python-level loop

    return attribute


_ATTRIBUTE = attribute("").__code__


def is_attribute(resolve: Resolve) -> bool:
    """Whether `resolve` reads an attribute of each object (made by `attribute`)."""
    return getattr(resolve, "__code__", None) is _ATTRIBUTE
