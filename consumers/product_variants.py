"""`nx.seller.public.product_variant` (Debezium) → the inventory item upsert or archive.

Changes older than the stored source position are ignored by the service (stale).
"""

from __future__ import annotations

from typing import Any

from app.db.unit_of_work import UnitOfWork
from app.kafka import topics
from app.services.context import Actor
from app.services.inventory_items import (
    CDC_ACTOR_LABEL,
    ProductVariantUpsert,
    archive_inventory_item,
    ensure_inventory_item,
)
from consumers.debezium import decode_change
from consumers.decoding import (
    as_timestamp,
    as_uuid,
    optional_bool,
    optional_text,
    optional_uuid,
    required,
)
from consumers.messages import InboundMessage, Outcome

TOPIC = topics.CDC_PRODUCT_VARIANT


def decode_variant(row: dict[str, Any]) -> ProductVariantUpsert:
    """A product_variant row; a soft-deleted one (deleted_at set) is an archived item."""
    deleted_at = row.get("deleted_at")
    if deleted_at is not None:
        as_timestamp(deleted_at, "deleted_at")
    return ProductVariantUpsert(
        merchant_id=as_uuid(required(row, "merchant_id"), "merchant_id"),
        product_variant_id=as_uuid(required(row, "id"), "id"),
        name=optional_text(row, "name"),
        sku=optional_text(row, "sku"),
        track_inventory=optional_bool(row, "track_inventory"),
        unit=optional_text(row, "unit"),
        archived=deleted_at is not None,
        product_id=optional_uuid(row.get("product_id"), "product_id"),
    )


async def handle(sessions: UnitOfWork, message: InboundMessage) -> Outcome:
    change = decode_change(message.value)
    if change is None:
        return Outcome.SKIPPED
    variant = decode_variant(change.row)
    if change.is_delete:
        result = await archive_inventory_item(
            sessions,
            variant.merchant_id,
            variant.product_variant_id,
            source_lsn=change.source_lsn,
            before=variant,
        )
    else:
        result = await ensure_inventory_item(
            sessions,
            variant,
            actor=Actor(variant.merchant_id, CDC_ACTOR_LABEL),
            source_lsn=change.source_lsn,
        )
    return Outcome.STALE if result.stale else Outcome.APPLIED
