"""`nx.seller.public.merchant` (Debezium) → the merchant and its default location."""

from __future__ import annotations

from typing import Any

from app.db.unit_of_work import UnitOfWork
from app.kafka import topics
from app.services.merchants import MerchantChange, ensure_merchant
from consumers.debezium import ChangeEvent, decode_change
from consumers.decoding import as_timestamp, as_uuid, optional_text, required
from consumers.messages import InboundMessage, Outcome

TOPIC = topics.CDC_MERCHANT


def decode_merchant(change: ChangeEvent) -> MerchantChange:
    """A merchant row; a delete or a soft delete (deleted_at set) marks it deleted."""
    row: dict[str, Any] = change.row
    deleted_at = row.get("deleted_at")
    if deleted_at is not None:
        as_timestamp(deleted_at, "deleted_at")
    return MerchantChange(
        merchant_id=as_uuid(required(row, "id"), "id"),
        name=optional_text(row, "name"),
        status=optional_text(row, "status"),
        currency=optional_text(row, "currency"),
        timezone=optional_text(row, "timezone"),
        source_lsn=change.source_lsn,
        deleted=change.is_delete or deleted_at is not None,
    )


async def handle(sessions: UnitOfWork, message: InboundMessage) -> Outcome:
    change = decode_change(message.value)
    if change is None:
        return Outcome.SKIPPED
    outcome = await ensure_merchant(sessions, decode_merchant(change))
    return Outcome.APPLIED if outcome.changed else Outcome.STALE
