"""Debezium change events: the envelope with or without its schema/payload wrapper.

Ops `c` (create), `r` (snapshot read), `u` (update) and `d` (delete) are changes;
`t` (truncate) and `m` (logical-decoding message) carry no row and are skipped, as
are tombstones (a null value after a delete, kept for log compaction).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from consumers.decoding import invalid, loads
from consumers.messages import PoisonMessage, PoisonReason

log = logging.getLogger(__name__)


class Op(StrEnum):
    CREATE = "c"
    READ = "r"
    UPDATE = "u"
    DELETE = "d"
    TRUNCATE = "t"
    MESSAGE = "m"


ROW_OPS = frozenset({Op.CREATE, Op.READ, Op.UPDATE, Op.DELETE})


@dataclass(frozen=True)
class ChangeEvent:
    op: Op
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: dict[str, Any]
    ts_ms: int | None = None

    @property
    def source_lsn(self) -> int | None:
        """The source position (PostgreSQL LSN); newer changes have larger ones."""
        lsn = self.source.get("lsn")
        if lsn is None:
            return None
        if isinstance(lsn, bool) or not isinstance(lsn, int | str):
            raise invalid("source.lsn", "is not a number")
        try:
            return int(lsn)
        except ValueError:
            raise invalid("source.lsn", f"{lsn!r} is not a number") from None

    @property
    def is_delete(self) -> bool:
        return self.op is Op.DELETE

    @property
    def row(self) -> dict[str, Any]:
        """The row as it is now (after), or as it was for a delete (before)."""
        row = self.before if self.is_delete else self.after
        if row is None:
            side = "before" if self.is_delete else "after"
            raise invalid(side, f"is required for op {self.op.value!r}")
        return row


def unwrap(document: Any) -> Any:
    """The payload of a JsonConverter message with schemas enabled; others as they are."""
    if isinstance(document, dict) and "payload" in document and "schema" in document:
        return document["payload"]
    return document


def decode_change(value: bytes | None) -> ChangeEvent | None:
    """The row change in a message value; None for what carries no row change
    (tombstones, truncates, logical-decoding messages), which the caller skips."""
    if value is None:
        return None
    envelope = unwrap(loads(value))
    if envelope is None:
        return None
    if not isinstance(envelope, dict):
        raise PoisonMessage(PoisonReason.SCHEMA_VIOLATION, "the envelope is not an object")
    raw_op = envelope.get("op")
    try:
        op = Op(str(raw_op))
    except ValueError:
        raise PoisonMessage(PoisonReason.UNSUPPORTED, f"unknown Debezium op {raw_op!r}") from None
    if op not in ROW_OPS:
        log.info("skipping a Debezium %s event", op.name.lower(), extra={"op": op.value})
        return None
    source = envelope.get("source") or {}
    before, after = envelope.get("before"), envelope.get("after")
    for name, side in (("source", source), ("before", before), ("after", after)):
        if side is not None and not isinstance(side, dict):
            raise PoisonMessage(PoisonReason.SCHEMA_VIOLATION, f"{name} is not an object")
    ts_ms = envelope.get("ts_ms")
    return ChangeEvent(op, before, after, source, ts_ms if isinstance(ts_ms, int) else None)


def decode_key(key: bytes | None) -> Any:
    """A message key (JSON, possibly schema-wrapped); None when absent."""
    return None if key is None else unwrap(loads(key))
