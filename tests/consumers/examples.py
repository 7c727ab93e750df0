"""The contract's example messages (contracts/examples), as bytes a producer would send."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts" / "examples"


@dataclass(frozen=True)
class Example:
    name: str
    topic: str
    key: bytes | None
    value: bytes | None
    document: Any


def _bytes(part: Any) -> bytes | None:
    if part is None:
        return None
    # Sale's keys are plain strings (the saleOrderId); Debezium's are JSON objects.
    return part.encode() if isinstance(part, str) else json.dumps(part).encode()


def example(name: str) -> Example:
    document = json.loads((EXAMPLES / f"{name}.json").read_text())
    return Example(
        name, document["topic"], _bytes(document["key"]), _bytes(document["value"]), document
    )


def all_examples() -> list[Example]:
    return [example(path.stem) for path in sorted(EXAMPLES.glob("*.json"))]
