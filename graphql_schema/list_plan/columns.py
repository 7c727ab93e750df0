"""Columns: one value per object of a level, and the steps that complete them.

A column of a nullable type completes its non-null values and puts the nulls back; a
list column is completed as one column of all its items and split back; an object's
columns become its rows (dicts in the selection's key order). Each step answers a list,
or an awaitable of one when something below it waits (a loader).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from graphql import Undefined

Column = list[Any]
# Completes a column of values of one GraphQL type: the completed column, or an awaitable.
Complete = Callable[[Column], "Column | Awaitable[Column]"]
# Resolves one field for a column of objects: one value (maybe awaitable) per object, or
# (a batched field) an awaitable of the whole column.
Resolve = Callable[[Column], "Column | Awaitable[Column]"]

# Values never awaitable nor exceptions: serialized without a check.
PLAIN = frozenset(
    {str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date, uuid.UUID}
)


class Unplanned(Exception):
    """Something only graphql-core should answer: the caller completes the list with it."""


def same(values: Column) -> Column:
    return values


def non_null(complete: Complete) -> Complete:
    def non_null(values: Column) -> Column | Awaitable[Column]:
        for value in values:
            if value is None or value is Undefined:
                raise Unplanned
        return complete(values)

    return non_null


def nullable(complete: Complete) -> Complete:
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
            scatter(completed, positions, done)
            return completed
        return after(scatter_later(completed, positions, done), completed)

    return nullable


def flattened(complete_item: Complete) -> Complete:
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
            return split(done, sizes)
        return then(done, lambda flat: split(flat, sizes))

    return lists


def split(flat: Column, sizes: list[int]) -> Column:
    out, start = [], 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out


def complete_rows(
    size: int, keys: list[str], columns: list[Column], completers: list[Complete]
) -> Column | Awaitable[Column]:
    completed = [complete(column) for complete, column in zip(completers, columns, strict=True)]
    later = [at for at, column in enumerate(completed) if not isinstance(column, list)]
    if later:
        return rows_later(size, keys, completed, later)
    return rows(size, keys, cast(list[Column], completed))


def rows(size: int, keys: list[str], completed: list[Column]) -> Column:
    if not keys:
        return [{} for _ in range(size)]
    for column in completed:
        if len(column) != size:
            raise Unplanned  # a resolver answered the wrong number of values
    return list(map(row_maker(tuple(keys)), *completed))


@functools.lru_cache(maxsize=1024)
def row_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """A function of one value per key returning the row {key: value, ...}: a dict display
    builds a row in ~40% of the time dict(zip(keys, values)) takes (a dashboard page
    builds 300). Keys are GraphQL response names ([_A-Za-z][_0-9A-Za-z]*, validated by
    the parser), written into the code as string literals by repr."""
    if not all(key.isidentifier() for key in keys):
        return lambda *values: dict(zip(keys, values, strict=True))
    parameters = ", ".join(f"v{at}" for at in range(len(keys)))
    display = ", ".join(f"{key!r}: v{at}" for at, key in enumerate(keys))
    namespace: dict[str, Any] = {}
    exec(f"def row({parameters}):\n    return {{{display}}}", namespace)
    return cast(Callable[..., dict[str, Any]], namespace["row"])


async def rows_later(size: int, keys: list[str], completed: list[Any], later: list[int]) -> Column:
    # Every column's next level started together: their loaders batch in the same rounds.
    done = await asyncio.gather(*(completed[at] for at in later))
    for at, column in zip(later, done, strict=True):
        completed[at] = column
    return rows(size, keys, cast(list[Column], completed))


async def complete_after(
    settling: Awaitable[None],
    size: int,
    keys: list[str],
    columns: list[Column],
    completers: list[Complete],
) -> Column:
    await settling
    rows = complete_rows(size, keys, columns, completers)
    return rows if isinstance(rows, list) else await rows


def scatter(into: Column, positions: list[int], values: Column) -> None:
    for at, value in zip(positions, values, strict=True):
        into[at] = value


async def scatter_later(into: Column, positions: list[int], values: Awaitable[Column]) -> None:
    scatter(into, positions, await values)


async def after(awaitable: Awaitable[Any], result: Column) -> Column:
    await awaitable
    return result


async def then(awaitable: Awaitable[Column], then: Callable[[Column], Column]) -> Column:
    return then(await awaitable)
