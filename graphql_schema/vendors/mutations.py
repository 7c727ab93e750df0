"""Vendor mutations (inventory:purchase-order.manage)."""

from __future__ import annotations

import strawberry

from app.services import vendors as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.mutations import mutate
from graphql_schema.permissions import CanManagePurchaseOrders, secured
from graphql_schema.vendors.types import Vendor, load_vendor


@strawberry.input
class VendorInput:
    name: str
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@strawberry.type
class VendorPayload:
    vendor: Vendor | None
    user_errors: list[UserError]


@strawberry.type
class VendorMutations:
    @secured(CanManagePurchaseOrders)
    async def vendor_create(
        self, info: Info, input: VendorInput, idempotency_key: str | None = None
    ) -> VendorPayload:
        vendor, errors = await mutate(
            info,
            lambda uow, actor: service.create_vendor(
                uow,
                actor,
                name=input.name,
                tax_id=input.tax_id,
                email=input.email,
                phone=input.phone,
                address=input.address,
                idempotency_key=idempotency_key,
            ),
            lambda info, result: load_vendor(info, result.vendor_id),
        )
        return VendorPayload(vendor=vendor, user_errors=errors)
