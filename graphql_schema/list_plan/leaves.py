"""Scalars and enums of a column, completed by the type's own coercion."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from graphql import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLLeafType, GraphQLString, Undefined

from graphql_schema.list_plan.columns import PLAIN, Column, Complete, Unplanned

# Built-in scalars whose coercion returns these values unchanged (graphql-core's rules).
AS_IS: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def leaves(
    type_: GraphQLLeafType, is_awaitable: Callable[[Any], bool], *, nullable: bool
) -> Complete:
    """Completes a column of a scalar or enum by the type's own coercion, its nulls (a
    nullable type) kept in their places: one pass over the column, where wrapping the
    leaves in columns.non_null / nullable took another."""
    coerce = type_.coerce_output_value
    as_is = AS_IS.get(type_)
    is_int = type_ is GraphQLInt

    def one(value: Any) -> Any:
        if value is None or value is Undefined:
            if nullable:
                return None
            raise Unplanned  # graphql-core's error for a null in a non-null field
        kind = type(value)
        if kind is as_is:
            return value
        if kind is int and is_int and INT_MIN <= value <= INT_MAX:
            return value
        if (
            kind not in PLAIN
            and not isinstance(value, enum.Enum)
            and (isinstance(value, Exception) or is_awaitable(value))
        ):
            raise Unplanned
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Unplanned
        return coerced

    def leaves(values: Column) -> Column:
        # A page's column is nearly always plain values: coerced inline, not through
        # `one` per value (~40% of the leaves' CPU on the dashboard page). Anything else
        # (a null, a None or Undefined coercion, an exception) goes through `one`, for the
        # whole column when the coercion fails, coercion being pure, so the outcome is
        # `one`'s to the value.
        try:
            if as_is is not None:
                return [value if type(value) is as_is else one(value) for value in values]
            completed = [coerce(value) if type(value) in PLAIN else one(value) for value in values]
        except Exception:
            return [one(value) for value in values]
        # `in` finds Undefined too (it compares equal to None).
        if None in completed and _refused(completed, values):
            return [one(value) for value in values]
        return completed

    return leaves


def _refused(completed: Column, values: Column) -> bool:
    """Whether a coercion answered None or Undefined (a null given stays null)."""
    return any(
        (done is None or done is Undefined) and value is not None and value is not Undefined
        for done, value in zip(completed, values, strict=True)
    )
