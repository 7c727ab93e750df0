"""Stock-take rules: a count session stands for one moment, and applying it moves each
counted stock by what the count says it had then, so whatever happened since stays on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from app.domain.enums import CountStatus
from app.domain.errors import DomainError, FieldPath, UserErrorCode

# How many uncounted stocks a refusal names before it says how many more there are.
NAMED_UNCOUNTED = 10


def check_counted_at(counted_at: datetime, now: datetime, field: FieldPath) -> None:
    """A count stands for a moment already past (or now): a future moment has no on hand yet."""
    if counted_at > now:
        raise DomainError.one(UserErrorCode.INVALID, "must not be in the future", field)


def require_open(status: CountStatus, field: FieldPath | None = None) -> None:
    """An applied or cancelled session takes no more entries and cannot change again."""
    if status is not CountStatus.OPEN:
        raise DomainError.one(
            UserErrorCode.INVALID_STATE, f"the count session is {status.value}", field
        )


def counted_quantity(entries: Sequence[Decimal]) -> Decimal | None:
    """A line's count: the sum of its entries in the base unit; None when not counted.

    An entry of 0 is a count of zero, not the absence of one."""
    if not entries:
        return None
    return sum(entries, Decimal(0))


def count_delta(counted: Decimal, expected: Decimal) -> Decimal:
    """The COUNT movement's deltaOnHand: counted - on hand at the session's moment.

    Added to the stock's on hand now, it keeps every movement after that moment
    (sales during the count, a delivery) on top of the counted quantity."""
    return counted - expected


def variance(counted: Decimal | None, expected: Decimal) -> Decimal | None:
    return None if counted is None else counted - expected


def value_of(quantity: Decimal | None, unit_cost: Decimal | None) -> Decimal | None:
    """Quantity x unit cost, exact (NUMERIC products do not round); None when either is."""
    if quantity is None or unit_cost is None:
        return None
    return quantity * unit_cost


def uncounted_refusal(names: Sequence[str], total: int) -> DomainError:
    """FULL sessions count every line: name the uncounted stocks (the first few, then how
    many more) so staff know what is left."""
    shown = ", ".join(names[:NAMED_UNCOUNTED])
    more = total - min(len(names), NAMED_UNCOUNTED)
    suffix = f" and {more} more" if more > 0 else ""
    noun = "stock is" if total == 1 else "stocks are"
    return DomainError.one(
        UserErrorCode.INVALID_STATE,
        f"{total} {noun} not counted: {shown}{suffix} (count them, or apply with uncountedAsZero)",
        ("uncountedAsZero",),
    )
