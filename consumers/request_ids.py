"""A consumed message's request id, as an HTTP request's: logged on every line written while
handling it and carried by the events it stages (the relay sends it as header `requestId`).

The producer's `requestId` (or `X-Request-ID`) header when it is a short plain token, else
the message's `eventId`, else a fresh id, so one payment can be followed from the sale
service through our logs to the stock events it caused.
"""

from __future__ import annotations

import json

from app.auth.request_id import ACCEPTABLE_REQUEST_ID
from app.request_context import new_request_id
from consumers.messages import InboundMessage

HEADERS = ("requestid", "x-request-id")


def inbound_request_id(message: InboundMessage) -> str:
    for name, value in message.headers:
        if name.lower() in HEADERS and value is not None:
            text = value.decode("utf-8", errors="replace")
            if ACCEPTABLE_REQUEST_ID.fullmatch(text):
                return text
    return _event_id(message.value) or new_request_id()


def _event_id(value: bytes | None) -> str | None:
    # Parsed again by the handler; a payment is a few hundred bytes, a few µs to read twice.
    try:
        document = json.loads(value) if value else None
    except (ValueError, RecursionError):
        return None
    event_id = document.get("eventId") if isinstance(document, dict) else None
    if isinstance(event_id, str) and ACCEPTABLE_REQUEST_ID.fullmatch(event_id):
        return event_id
    return None
