"""availabilityChanged messages: written directly, read back as json.loads reads them; a
message this process published is read back as the same event parsing would give."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.domain.quantities import decimal_str
from app.realtime import availability_events
from app.realtime.availability_events import (
    AvailabilityEvent,
    ItemSnapshot,
    Messages,
    decode_availability,
    encode_availability,
)

NOW = datetime(2026, 11, 25, 3, 52, 54, 513521, tzinfo=UTC)


def an_event(
    value: Decimal | None, *, name: str = "Latte", sku: str | None = "L-1", version: int = 3
) -> AvailabilityEvent:
    return AvailabilityEvent(
        merchant_id=uuid.uuid4(),
        location_id=uuid.uuid4(),
        item=ItemSnapshot(
            id=uuid.uuid4(),
            product_variant_id=uuid.uuid4(),
            sku=sku,
            name=name,
            track_inventory=True,
            unit="pcs",
            archived=False,
            created_at=NOW - timedelta(days=1),
            updated_at=NOW.astimezone(timezone(timedelta(hours=2))),
        ),
        available_to_sell=value,
        version=version,
        occurred_at=NOW,
    )


def as_json_dumps_writes_it(event: AvailabilityEvent) -> dict[str, object]:
    item, value = event.item, event.available_to_sell
    return {
        "merchantId": str(event.merchant_id),
        "locationId": str(event.location_id),
        "inventoryItemId": str(item.id),
        "availableToSell": None if value is None else decimal_str(value),
        "version": event.version,
        "occurredAt": event.occurred_at.isoformat(),
        "item": {
            "productVariantId": str(item.product_variant_id),
            "sku": item.sku,
            "name": item.name,
            "trackInventory": item.track_inventory,
            "unit": item.unit,
            "archived": item.archived,
            "createdAt": item.created_at.isoformat(),
            "updatedAt": item.updated_at.isoformat(),
        },
    }


EVENTS = {
    "a whole number": an_event(Decimal(5)),
    "unlimited": an_event(None, sku=None),
    "trailing zeros": an_event(Decimal("5.000")),
    "an exponent": an_event(Decimal("1E+6")),
    "negative zero": an_event(Decimal("-0")),
    "a fraction": an_event(Decimal("4.5")),
    "quotes, backslashes, controls, non-ASCII": an_event(
        Decimal(1), name='Caf\u00e9 "au lait"\\\n\t\u2028\U0001f600', sku="</script>"
    ),
}


@pytest.mark.parametrize("event", list(EVENTS.values()), ids=list(EVENTS))
def test_a_message_is_what_json_dumps_wrote(event: AvailabilityEvent) -> None:
    text = encode_availability(event)

    assert json.loads(text) == as_json_dumps_writes_it(event)
    assert text.isascii()


@pytest.mark.parametrize("event", list(EVENTS.values()), ids=list(EVENTS))
def test_an_own_message_reads_back_as_parsing_reads_it(event: AvailabilityEvent) -> None:
    messages = Messages(event.merchant_id, event.location_id, event.occurred_at)
    text = messages.encode_own(event)
    parsed = decode_availability(encode_availability(event))  # not this process's own text

    own = decode_availability(text)

    assert text == encode_availability(event)
    assert own == parsed
    assert str(own.available_to_sell) == str(parsed.available_to_sell)
    assert own.views == {}
    assert text not in availability_events._own  # answered once: a replay is parsed
    assert decode_availability(text) == parsed


def test_own_messages_never_received_back_are_forgotten() -> None:
    event = an_event(Decimal(2))
    messages = Messages(event.merchant_id, event.location_id, event.occurred_at)
    first = messages.encode_own(event)

    for version in range(1, availability_events.OWN_MESSAGES + 1):
        messages.encode_own(an_event(Decimal(2), version=version))

    assert len(availability_events._own) <= availability_events.OWN_MESSAGES
    assert first not in availability_events._own
    assert decode_availability(first) == event
