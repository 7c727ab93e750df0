"""Exact decimal quantities: parsing user input and printing on the wire."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.domain.errors import DomainError, FieldPath, UserErrorCode

# Bounds keep NUMERIC arithmetic cheap and stop absurd input at the door.
MAX_DECIMAL_PLACES = 6
MAX_MAGNITUDE = Decimal(10) ** 12
ZERO = Decimal(0)


def parse_decimal(value: object, field: FieldPath) -> Decimal:
    """A finite decimal with at most 6 places and magnitude below 10^12, else INVALID."""
    if isinstance(value, (bool, float)):
        raise DomainError.one(UserErrorCode.INVALID, "must be a decimal string", field)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError.one(UserErrorCode.INVALID, "must be a decimal number", field) from None
    check_decimal(number, field)
    return number


def check_decimal(number: Decimal, field: FieldPath) -> None:
    if not number.is_finite():
        raise DomainError.one(UserErrorCode.INVALID, "must be a finite number", field)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        raise DomainError.one(
            UserErrorCode.INVALID, f"at most {MAX_DECIMAL_PLACES} decimal places", field
        )
    if abs(number) >= MAX_MAGNITUDE:
        raise DomainError.one(UserErrorCode.INVALID, "is too large", field)


def require_positive(number: Decimal, field: FieldPath) -> Decimal:
    check_decimal(number, field)
    if number <= 0:
        raise DomainError.one(UserErrorCode.INVALID, "must be greater than 0", field)
    return number


def require_not_negative(number: Decimal, field: FieldPath) -> Decimal:
    check_decimal(number, field)
    if number < 0:
        raise DomainError.one(UserErrorCode.INVALID, "must not be negative", field)
    return number


def decimal_str(number: Decimal) -> str:
    """Plain notation without exponent or trailing zeros: '12.5', '1250', '-3'."""
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text
