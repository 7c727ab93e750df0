"""Purchase order mutations: create, edit and submit a draft, cancel (purchase-order.manage),
receive (.receive)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.enums import ItemType as DomainItemType
from app.domain.enums import PurchaseOrderStatus as DomainStatus
from app.services import purchase_order_drafts as drafts
from app.services import purchase_orders as orders
from app.services import purchase_receipts as receipts
from app.services.receipt_lines import ReceiveLineInput as ServiceReceiveLine
from graphql_schema.context import Info
from graphql_schema.enums import ItemType, PurchaseOrderStatus
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.mutations import input_id, mutate, optional_input_id
from graphql_schema.permissions import CanManagePurchaseOrders, CanReceivePurchaseOrders, secured
from graphql_schema.purchase_orders.types import (
    LINE_TYPE_NAME,
    TYPE_NAME,
    PurchaseOrder,
    load_purchase_order,
)


@strawberry.input
class PurchaseOrderLineInput:
    item_type: ItemType
    item_id: strawberry.ID
    quantity_ordered: Decimal
    unit_cost: Decimal
    unit: str | None = None


@strawberry.input
class PurchaseOrderInput:
    location_id: strawberry.ID
    vendor_id: strawberry.ID
    currency: str
    number: str | None = None
    lines: list[PurchaseOrderLineInput]
    status: PurchaseOrderStatus | None = DomainStatus.ORDERED  # DRAFT or ORDERED


@strawberry.input
class PurchaseOrderUpdateInput:
    vendor_id: strawberry.ID | None = None
    number: str | None = None
    lines: list[PurchaseOrderLineInput] | None = None


@strawberry.input
class ReceiveLineInput:
    line_id: strawberry.ID
    quantity_received: Decimal
    unit_cost: Decimal | None = None
    unit: str | None = None


@strawberry.input
class PaymentInput:
    method: str
    amount: Decimal
    paid_at: datetime | None = None
    reference: str | None = None


@strawberry.input
class PurchaseOrderReceiveInput:
    lines: list[ReceiveLineInput] | None = None
    payments: list[PaymentInput] | None = None
    backorder: bool | None = False


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None
    user_errors: list[UserError]


async def _fresh(info: Info, result: orders.PurchaseOrderResult) -> PurchaseOrder | None:
    loaders = info.context.loaders
    for loader in (loaders.purchase_order, loaders.purchase_order_lines, loaders.backorder):
        forget(loader, result.purchase_order_id)
    forget(loaders.purchase_order_payments, result.purchase_order_id)
    return await load_purchase_order(info, result.purchase_order_id)


def _order_line(line: PurchaseOrderLineInput) -> orders.PurchaseOrderLineInput:
    kind = "Material" if line.item_type is DomainItemType.MATERIAL else "InventoryItem"
    return orders.PurchaseOrderLineInput(
        item_type=line.item_type,
        item_id=input_id(line.item_id, kind),
        quantity_ordered=line.quantity_ordered,
        unit_cost=line.unit_cost,
        unit=line.unit,
    )


@strawberry.type
class PurchaseOrderMutations:
    @secured(CanManagePurchaseOrders)
    async def purchase_order_create(
        self, info: Info, input: PurchaseOrderInput, idempotency_key: str | None = None
    ) -> PurchaseOrderPayload:
        order, errors = await mutate(
            info,
            lambda uow, actor: orders.create_purchase_order(
                uow,
                actor,
                location_id=input_id(input.location_id, "Location"),
                vendor_id=input_id(input.vendor_id, "Vendor"),
                currency=input.currency,
                lines=[_order_line(line) for line in input.lines],
                number=input.number,
                status=input.status or DomainStatus.ORDERED,
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return PurchaseOrderPayload(purchase_order=order, user_errors=errors)

    @secured(CanManagePurchaseOrders, description="DRAFT only, else INVALID_STATE.")
    async def purchase_order_update(
        self, info: Info, id: strawberry.ID, input: PurchaseOrderUpdateInput
    ) -> PurchaseOrderPayload:
        pk = input_id(id, TYPE_NAME)
        order, errors = await mutate(
            info,
            lambda uow, actor: drafts.update_purchase_order(
                uow,
                actor,
                pk,
                vendor_id=optional_input_id(input.vendor_id, "Vendor"),
                number=input.number,
                lines=None if input.lines is None else [_order_line(ln) for ln in input.lines],
            ),
            _fresh,
        )
        return PurchaseOrderPayload(purchase_order=order, user_errors=errors)

    @secured(CanManagePurchaseOrders, description="DRAFT -> ORDERED.")
    async def purchase_order_submit(self, info: Info, id: strawberry.ID) -> PurchaseOrderPayload:
        pk = input_id(id, TYPE_NAME)
        order, errors = await mutate(
            info, lambda uow, actor: drafts.submit_purchase_order(uow, actor, pk), _fresh
        )
        return PurchaseOrderPayload(purchase_order=order, user_errors=errors)

    @secured(CanReceivePurchaseOrders)
    async def purchase_order_receive(
        self,
        info: Info,
        id: strawberry.ID,
        input: PurchaseOrderReceiveInput | None = None,
        idempotency_key: str | None = None,
    ) -> PurchaseOrderPayload:
        given = input or PurchaseOrderReceiveInput()
        lines = None
        if given.lines is not None:
            lines = [
                ServiceReceiveLine(
                    line_id=input_id(line.line_id, LINE_TYPE_NAME),
                    quantity_received=line.quantity_received,
                    unit_cost=line.unit_cost,
                    unit=line.unit,
                )
                for line in given.lines
            ]
        payments = [
            receipts.PaymentInput(
                method=p.method, amount=p.amount, paid_at=p.paid_at, reference=p.reference
            )
            for p in given.payments or ()
        ]
        order, errors = await mutate(
            info,
            lambda uow, actor: receipts.receive_purchase_order(
                uow,
                actor,
                input_id(id, TYPE_NAME),
                lines=lines,
                payments=payments,
                backorder=bool(given.backorder),
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return PurchaseOrderPayload(purchase_order=order, user_errors=errors)

    @secured(CanManagePurchaseOrders)
    async def purchase_order_cancel(self, info: Info, id: strawberry.ID) -> PurchaseOrderPayload:
        pk = input_id(id, TYPE_NAME)
        order, errors = await mutate(
            info,
            lambda uow, actor: orders.cancel_purchase_order(uow, actor, pk),
            _fresh,
        )
        return PurchaseOrderPayload(purchase_order=order, user_errors=errors)
