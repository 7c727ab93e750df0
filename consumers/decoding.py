"""Field parsers for consumed payloads; anything malformed is a poison message."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from app.domain.errors import DomainError
from app.domain.quantities import parse_decimal, require_positive
from consumers.messages import PoisonMessage, PoisonReason

E = TypeVar("E", bound=StrEnum)

# Epoch numbers carry no unit: tell nanoseconds, microseconds and milliseconds apart by size.
_NANOS = 10**17
_MICROS = 10**14
_MILLIS = 10**11


def loads(value: bytes | None) -> Any:
    if value is None:
        raise PoisonMessage(PoisonReason.INVALID_JSON, "the message has no value")
    try:
        return json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PoisonMessage(PoisonReason.INVALID_JSON, str(exc)) from None
    except RecursionError:
        # Nesting past the parser's depth can never decode: poison, not a retry.
        raise PoisonMessage(PoisonReason.INVALID_JSON, "nested too deeply") from None


def invalid(field: str, problem: str) -> PoisonMessage:
    return PoisonMessage(PoisonReason.INVALID_VALUE, f"{field}: {problem}")


def required(data: dict[str, Any], field: str) -> Any:
    value = data.get(field)
    if value is None:
        raise invalid(field, "is required")
    return value


def as_uuid(value: Any, field: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise invalid(field, f"{value!r} is not a UUID") from None


def optional_uuid(value: Any, field: str) -> uuid.UUID | None:
    return None if value is None else as_uuid(value, field)


def positive_quantity(value: Any, field: str) -> Decimal:
    try:
        return require_positive(parse_decimal(value, (field,)), (field,))
    except DomainError as exc:
        raise invalid(field, str(exc)) from None


def as_enum(kind: type[E], value: Any, field: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise invalid(field, f"unknown value {value!r}") from None


def as_timestamp(value: Any, field: str) -> datetime:
    """An ISO 8601 string or an epoch number (seconds, ms, µs or ns), as aware UTC."""
    if isinstance(value, bool):
        raise invalid(field, "is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(value)
    if isinstance(value, str):
        if value.lstrip("-").isdigit():
            return _from_epoch(int(value))
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise invalid(field, f"{value!r} is not an ISO 8601 timestamp") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    raise invalid(field, "is not a timestamp")


def _from_epoch(number: int | float) -> datetime:
    size = abs(number)
    if size >= _NANOS:
        seconds = number / 1_000_000_000
    elif size >= _MICROS:
        seconds = number / 1_000_000
    elif size >= _MILLIS:
        seconds = number / 1_000
    else:
        seconds = number
    return datetime.fromtimestamp(seconds, UTC)


def optional_text(data: dict[str, Any], field: str) -> str | None:
    value = data.get(field)
    if value is None or isinstance(value, str):
        return value
    raise invalid(field, "is not a string")


def optional_bool(data: dict[str, Any], field: str) -> bool | None:
    value = data.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise invalid(field, "is not a boolean")
