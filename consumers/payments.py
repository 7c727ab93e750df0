"""`payment.success` → `apply_payment`: deduct sold stock, reserve recipe materials."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kafka import topics
from app.services.sales import PaymentSucceeded, SaleItem, SaleModifier, apply_payment
from consumers.decoding import as_timestamp, as_uuid, loads, positive_quantity
from consumers.messages import InboundMessage, Outcome
from consumers.validation import contract_validator

TOPIC = topics.PAYMENT_SUCCESS
ACTOR_LABEL = f"consumer:{TOPIC}"


def decode_payment(value: bytes | None) -> PaymentSucceeded:
    data = loads(value)
    contract_validator().validate(TOPIC, data)
    return PaymentSucceeded(
        event_id=as_uuid(data["eventId"], "eventId"),
        merchant_id=as_uuid(data["merchantId"], "merchantId"),
        location_id=as_uuid(data["locationId"], "locationId"),
        sale_order_id=as_uuid(data["saleOrderId"], "saleOrderId"),
        items=tuple(_item(item, f"items[{i}]") for i, item in enumerate(data["items"])),
        occurred_at=as_timestamp(data["occurredAt"], "occurredAt"),
        payment_id=data.get("paymentId"),
    )


def _item(item: dict[str, Any], at: str) -> SaleItem:
    return SaleItem(
        sale_order_item_id=as_uuid(item["saleOrderItemId"], f"{at}.saleOrderItemId"),
        product_variant_id=as_uuid(item["productVariantId"], f"{at}.productVariantId"),
        quantity=positive_quantity(item["quantity"], f"{at}.quantity"),
        modifiers=tuple(
            SaleModifier(
                as_uuid(m["modifierOptionId"], f"{at}.modifiers[{j}].modifierOptionId"),
                positive_quantity(m["quantity"], f"{at}.modifiers[{j}].quantity"),
            )
            for j, m in enumerate(item.get("modifiers") or ())
        ),
    )


async def handle(sessions: async_sessionmaker[AsyncSession], message: InboundMessage) -> Outcome:
    outcome = await apply_payment(sessions, decode_payment(message.value), actor_label=ACTOR_LABEL)
    if outcome.movements_applied == 0 and outcome.duplicates > 0:
        return Outcome.DUPLICATE
    return Outcome.APPLIED
