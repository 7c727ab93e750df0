"""Garbage for every consumed topic: truncated contract examples, random bytes, wrong shapes.

Each message is one a broken or hostile producer could send. `skipped` marks those the
consumer ignores by design (a Debezium tombstone or a JSON null on a CDC topic); every
other message must end up on the topic's dead-letter topic, untouched.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass

from app.kafka import topics
from tests.consumers.examples import example
from tests.reliability.graphql_corpus import deep_json

EXAMPLE_OF = {
    topics.PAYMENT_SUCCESS: "payment-success",
    topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED: "kitchen-ticket-item-served",
    topics.CDC_PRODUCT_VARIANT: "cdc-product-variant-create",
    topics.CDC_MERCHANT: "cdc-merchant-create",
}
CDC_TOPICS = (topics.CDC_PRODUCT_VARIANT, topics.CDC_MERCHANT)
RANDOM_PER_TOPIC = 20


@dataclass(frozen=True)
class Garbage:
    topic: str
    name: str
    value: bytes | None
    key: bytes | None
    skipped: bool = False


def garbage_for(topic: str, rng: random.Random) -> list[Garbage]:
    valid = example(EXAMPLE_OF[topic]).value
    assert valid is not None
    cdc = topic in CDC_TOPICS
    document = json.loads(valid)
    shapes: list[tuple[str, bytes | None]] = [
        ("no value", None),
        ("empty value", b""),
        ("JSON null", b"null"),
        ("JSON array", b"[]"),
        ("JSON string", b'"PAYMENT_SUCCESS"'),
        ("JSON number", b"42"),
        ("empty object", b"{}"),
        ("invalid UTF-8", b'{"eventId": "\xff\xfe"}'),
        ("deeply nested JSON", deep_json(50_000).encode()),
        ("500 KB object", json.dumps({"pad": "x" * 500_000}).encode()),
        ("wrong types", json.dumps(_wrong_types(document)).encode()),
    ]
    cuts = sorted(rng.sample(range(1, len(valid) - 1), 8))
    shapes += [(f"truncated at {cut} of {len(valid)}", valid[:cut]) for cut in cuts]
    shapes += [
        (f"random bytes {i}", rng.randbytes(rng.randint(1, 300))) for i in range(RANDOM_PER_TOPIC)
    ]
    keys: list[bytes | None] = [None, b"", uuid.uuid4().bytes, b"\x00\xff"]
    return [
        Garbage(
            topic,
            name,
            value,
            # A record needs a key or a value.
            key=rng.choice(keys) if value is not None else uuid.uuid4().bytes,
            skipped=cdc and name in ("no value", "JSON null"),
        )
        for name, value in shapes
    ]


def _wrong_types(document: object) -> object:
    """The example with every string made a number and every number a string."""
    if isinstance(document, dict):
        return {k: _wrong_types(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_wrong_types(v) for v in document]
    if isinstance(document, str):
        return -1
    if isinstance(document, bool) or document is None:
        return "yes"
    if isinstance(document, int | float):
        return str(document)
    return document
