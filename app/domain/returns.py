"""Customer returns: what a sale order may still give back to stock."""

from __future__ import annotations

from decimal import Decimal

from app.domain.errors import DomainError, FieldPath, UserErrorCode
from app.domain.quantities import decimal_str


def returnable(sold: Decimal, returned: Decimal) -> Decimal:
    """What the sale order sold of a product less what was already returned of it."""
    return max(sold - returned, Decimal(0))


def check_return(
    quantity: Decimal, *, tracked: bool, sold: Decimal, returned: Decimal, field: FieldPath
) -> None:
    """A return restocks a tracked product, and never more than the order has left to give
    back: an untracked product has no stock to return to (its materials were used)."""
    if not tracked:
        raise DomainError.one(
            UserErrorCode.INVALID, "the product does not track inventory: nothing to restock", field
        )
    left = returnable(sold, returned)
    if quantity > left:
        raise DomainError.one(
            UserErrorCode.INVALID,
            f"only {decimal_str(left)} left to return on this sale order"
            f" (sold {decimal_str(sold)}, returned {decimal_str(returned)})",
            field,
        )
