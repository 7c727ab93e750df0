"""Which handler consumes which topic: the consumers' composition root."""

from __future__ import annotations

from collections.abc import Iterable

from consumers import kitchen_tickets, merchants, payments, product_variants
from consumers.messages import Handler

HANDLERS: dict[str, Handler] = {
    payments.TOPIC: payments.handle,
    kitchen_tickets.TOPIC: kitchen_tickets.handle,
    product_variants.TOPIC: product_variants.handle,
    merchants.TOPIC: merchants.handle,
}


class UnknownTopic(ValueError):
    pass


def handlers_for(topics: Iterable[str] | None = None) -> dict[str, Handler]:
    """The handlers of `topics` (default: every consumed topic)."""
    if topics is None:
        return dict(HANDLERS)
    wanted = list(topics)
    unknown = [name for name in wanted if name not in HANDLERS]
    if unknown:
        known = ", ".join(sorted(HANDLERS))
        raise UnknownTopic(f"no consumer for {', '.join(unknown)} (known: {known})")
    return {name: HANDLERS[name] for name in wanted}
