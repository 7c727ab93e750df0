"""`kitchen-ticket-item.status-changed` → `apply_kitchen_status`: consume or release."""

from __future__ import annotations

from app.db.unit_of_work import UnitOfWork
from app.domain.enums import KitchenStatus
from app.domain.kitchen import KitchenStatusChanged
from app.kafka import topics
from app.services.sales import apply_kitchen_status
from consumers.decoding import as_enum, as_timestamp, as_uuid, loads, positive_quantity
from consumers.messages import InboundMessage, Outcome
from consumers.validation import contract_validator

TOPIC = topics.KITCHEN_TICKET_ITEM_STATUS_CHANGED
ACTOR_LABEL = f"consumer:{TOPIC}"


def decode_status_change(value: bytes | None) -> KitchenStatusChanged:
    data = loads(value)
    contract_validator().validate(TOPIC, data)
    previous = data.get("previousStatus")
    return KitchenStatusChanged(
        event_id=as_uuid(data["eventId"], "eventId"),
        merchant_id=as_uuid(data["merchantId"], "merchantId"),
        location_id=as_uuid(data["locationId"], "locationId"),
        sale_order_id=as_uuid(data["saleOrderId"], "saleOrderId"),
        sale_order_item_id=as_uuid(data["saleOrderItemId"], "saleOrderItemId"),
        kitchen_ticket_item_id=as_uuid(data["kitchenTicketItemId"], "kitchenTicketItemId"),
        product_variant_id=as_uuid(data["productVariantId"], "productVariantId"),
        quantity=positive_quantity(data["quantity"], "quantity"),
        status=as_enum(KitchenStatus, data["status"], "status"),
        occurred_at=as_timestamp(data["occurredAt"], "occurredAt"),
        previous_status=(
            None if previous is None else as_enum(KitchenStatus, previous, "previousStatus")
        ),
    )


async def handle(sessions: UnitOfWork, message: InboundMessage) -> Outcome:
    event = decode_status_change(message.value)
    outcome = await apply_kitchen_status(sessions, event, actor_label=ACTOR_LABEL)
    return Outcome.DUPLICATE if outcome.duplicate else Outcome.APPLIED
