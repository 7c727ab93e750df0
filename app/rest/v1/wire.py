"""Wire conventions of /v1: camelCase JSON, decimals as strings, UUIDs and UTC times as text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, PlainSerializer, PlainValidator, WithJsonSchema
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from app.domain.errors import DomainError
from app.domain.quantities import (
    MAX_DECIMAL_PLACES,
    MAX_MAGNITUDE,
    decimal_str,
    parse_decimal,
    require_not_negative,
)

# The wire's notation: plain digits, no sign, exponent or spaces. Its limits are the
# domain's (`require_not_negative(parse_decimal(...))`), checked by `_quantity`; the
# pattern only tells the OpenAPI document what that accepts.
_PLAIN = re.compile(r"\d+(\.\d+)?")
QUANTITY_PATTERN = rf"^\d{{1,{len(str(MAX_MAGNITUDE)) - 1}}}(\.\d{{1,{MAX_DECIMAL_PLACES}}})?$"
SIGNED_DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
# PostgreSQL text cannot hold NUL: refuse it at the door (400) instead of failing the write.
NO_NUL_PATTERN = r"^[^\x00]*$"


class RequestModel(BaseModel):
    """A request body or query: camelCase names, no type coercion, unknown fields ignored."""

    model_config = ConfigDict(
        alias_generator=to_camel, strict=True, extra="ignore", frozen=True, validate_by_name=False
    )


class QueryModel(RequestModel):
    """Query strings are text: let pydantic turn "10" into 10 and "true" into True."""

    model_config = ConfigDict(strict=False)


class ResponseModel(BaseModel):
    """Built in code by field name, written out in camelCase."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=False,
        json_schema_serialization_defaults_required=True,
    )


def _quantity(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise PydanticCustomError("decimal_string", 'must be a decimal string such as "12.5"')
    if _PLAIN.fullmatch(value):
        try:
            return require_not_negative(parse_decimal(value, ()), ())
        except DomainError:
            pass
    raise PydanticCustomError(
        "decimal_string",
        "must be a decimal string ≥ 0 below 10^12 with at most {places} decimal places",
        {"places": MAX_DECIMAL_PLACES},
    )


def _utc_text(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


QuantityIn = Annotated[
    Decimal,
    PlainValidator(_quantity),
    WithJsonSchema({"type": "string", "pattern": QUANTITY_PATTERN, "examples": ["12.5"]}),
]
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(decimal_str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": SIGNED_DECIMAL_PATTERN, "examples": ["1250"]}),
]
UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc_text, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
