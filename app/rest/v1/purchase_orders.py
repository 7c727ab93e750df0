"""Purchase order receipt over the same service as the GraphQL mutation."""

from __future__ import annotations

import uuid

from app.db.queries.purchase_orders import (
    lines_by_order,
    payments_by_order,
    purchase_orders_by_id,
)
from app.rest.v1.endpoint import Call, Reply
from app.rest.v1.responses import PurchaseOrder, purchase_order_from_rows
from app.rest.v1.schemas import PurchaseOrderReceive
from app.services.purchase_receipts import PaymentInput, ReceiveLineInput, receive_purchase_order

PATH_PARAM = "purchaseOrderId"


async def receive(call: Call) -> Reply:
    body = call.body_as(PurchaseOrderReceive)
    lines = None
    if body.lines is not None:
        lines = [
            ReceiveLineInput(i.line_id, i.quantity_received, i.unit_cost, i.unit)
            for i in body.lines
        ]
    result = await receive_purchase_order(
        call.sessions,
        call.actor,
        call.path[PATH_PARAM],
        lines=lines,
        payments=[PaymentInput(p.method, p.amount, p.paid_at, p.reference) for p in body.payments],
        idempotency_key=call.idempotency_key,
    )
    return Reply(200, await load_purchase_order(call, result.purchase_order_id))


async def load_purchase_order(call: Call, purchase_order_id: uuid.UUID) -> PurchaseOrder:
    async with call.sessions.begin() as session:
        ids = [purchase_order_id]
        order = (await purchase_orders_by_id(session, call.merchant_id, ids))[purchase_order_id]
        lines = (await lines_by_order(session, call.merchant_id, ids))[purchase_order_id]
        payments = (await payments_by_order(session, call.merchant_id, ids))[purchase_order_id]
    return purchase_order_from_rows(order, lines, payments)
