"""`payment.success` → `apply_payments`: deduct sold stock, reserve recipe materials.

A partition's fetched run of payments is applied in one transaction (`BatchHandler`);
each payment is decoded, validated against the contract and checked by the domain's
rules first, so a poison one is dead-lettered alone before the others' transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from app.db.unit_of_work import UnitOfWork
from app.domain.sale import PaymentSucceeded, SaleItem, SaleModifier, check_payment
from app.kafka import topics
from app.request_context import current_request_id
from app.services.sales import PaymentOutcome, apply_payments
from consumers.decoding import as_timestamp, as_uuid, loads, positive_quantity
from consumers.messages import BatchHandler, InboundMessage, Outcome
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


def decode(message: InboundMessage) -> PaymentSucceeded:
    # The delivery binds the message's request id while decoding; its events carry it.
    payment = replace(decode_payment(message.value), request_id=current_request_id())
    check_payment(payment)
    return payment


async def apply(sessions: UnitOfWork, batch: Sequence[PaymentSucceeded]) -> list[Outcome]:
    return [_outcome(o) for o in await apply_payments(sessions, batch, actor_label=ACTOR_LABEL)]


def _outcome(outcome: PaymentOutcome) -> Outcome:
    if outcome.movements_applied == 0 and outcome.duplicates > 0:
        return Outcome.DUPLICATE
    return Outcome.APPLIED


handle = BatchHandler(decode, apply)
