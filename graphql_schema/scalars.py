"""Wire formats: Decimal as a string both ways, DateTime as UTC ISO 8601, JSON as is.

Bad input fails coercion, so it is a standard GraphQL validation error (no data),
not a userError: a float variable, "abc", "NaN" or a time without an offset.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import strawberry
from graphql import FloatValueNode, GraphQLError, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from app.domain.quantities import decimal_str

# A plain decimal: sign, digits, optional fraction, optional exponent; bounded in length.
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
_MAX_DECIMAL_TEXT = 64
T = TypeVar("T")


def serialize_decimal(value: Any) -> str:
    """decimal_str's output ("12.5", "1250", "0"), on a fast path for plain NUMERIC values."""
    if type(value) is decimal.Decimal:
        text = str(value)
        if "E" not in text:
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return "0" if text == "-0" else text
        return decimal_str(value)
    if isinstance(value, bool) or not isinstance(value, decimal.Decimal | int):
        raise TypeError(f"Decimal cannot represent {type(value).__name__}")
    return decimal_str(decimal.Decimal(value))


def parse_decimal_text(text: str) -> decimal.Decimal:
    text = text.strip()
    if len(text) > _MAX_DECIMAL_TEXT or not _DECIMAL.fullmatch(text):
        raise ValueError(f"Decimal cannot represent {text[:_MAX_DECIMAL_TEXT]!r}")
    return decimal.Decimal(text)


def parse_decimal_value(value: Any) -> decimal.Decimal:
    # JSON floats are already rounded by the client's parser: only strings and integers.
    if isinstance(value, str):
        return parse_decimal_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return decimal.Decimal(value)
    raise ValueError('Decimal must be a string such as "12.5"')


def parse_decimal_literal(node: ValueNode, _variables: Any = None) -> decimal.Decimal:
    # A literal's text is exact, so 12.5 written in the query is as good as "12.5".
    if isinstance(node, StringValueNode | IntValueNode | FloatValueNode):
        return _as_client_error(parse_decimal_text, node)
    raise GraphQLError('Decimal must be a string such as "12.5"', node)


def serialize_datetime(value: Any) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"DateTime cannot represent {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text: str = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def parse_datetime_value(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"DateTime cannot represent {value[:64]!r}") from None
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs an offset, e.g. 2024-05-01T12:00:00Z")
    return parsed.astimezone(UTC)


def parse_datetime_literal(node: ValueNode, _variables: Any = None) -> datetime:
    if isinstance(node, StringValueNode):
        return _as_client_error(parse_datetime_value, node)
    raise GraphQLError("DateTime must be an ISO 8601 string", node)


def _as_client_error(
    parse: Callable[[str], T], node: StringValueNode | IntValueNode | FloatValueNode
) -> T:
    """A bad literal is the client's mistake: a GraphQLError is reported as written,
    where a ValueError would reach validation as an unexpected error and be masked."""
    try:
        return parse(node.value)
    except ValueError as exc:
        raise GraphQLError(str(exc), node) from None


DecimalScalar: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal as a string, e.g. "12.5".',
    serialize=serialize_decimal,
    parse_value=parse_decimal_value,
    parse_literal=parse_decimal_literal,
)

DateTimeScalar: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="A UTC time in ISO 8601, e.g. 2024-05-01T12:00:00Z.",
    serialize=serialize_datetime,
    parse_value=parse_datetime_value,
    parse_literal=parse_datetime_literal,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    decimal.Decimal: DecimalScalar,
    datetime: DateTimeScalar,
}
