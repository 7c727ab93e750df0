"""Vendor mutations: create, update, archive (inventory:purchase-order.manage)."""

from __future__ import annotations

import strawberry

from app.services import vendors as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanManagePurchaseOrders, secured
from graphql_schema.vendors.types import TYPE_NAME, Vendor, load_vendor


@strawberry.input
class VendorInput:
    name: str
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


@strawberry.input(description="Fields left out stay as they are; null clears an optional one.")
class VendorUpdateInput:
    name: str | None = strawberry.UNSET
    tax_id: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET


UPDATE_FIELDS = {
    "name": "name",
    "taxId": "tax_id",
    "email": "email",
    "phone": "phone",
    "address": "address",
}


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

    @secured(CanManagePurchaseOrders)
    async def vendor_update(
        self, info: Info, id: strawberry.ID, input: VendorUpdateInput
    ) -> VendorPayload:
        pk = input_id(id, TYPE_NAME)
        changes = {
            key: getattr(input, attribute)
            for key, attribute in UPDATE_FIELDS.items()
            if getattr(input, attribute) is not strawberry.UNSET
        }
        vendor, errors = await mutate(
            info, lambda uow, actor: service.update_vendor(uow, actor, pk, changes), _fresh
        )
        return VendorPayload(vendor=vendor, user_errors=errors)

    @secured(CanManagePurchaseOrders)
    async def vendor_archive(self, info: Info, id: strawberry.ID) -> VendorPayload:
        pk = input_id(id, TYPE_NAME)
        vendor, errors = await mutate(
            info, lambda uow, actor: service.archive_vendor(uow, actor, pk), _fresh
        )
        return VendorPayload(vendor=vendor, user_errors=errors)


async def _fresh(info: Info, result: service.VendorResult) -> Vendor | None:
    forget(info.context.loaders.vendor, result.vendor_id)
    return await load_vendor(info, result.vendor_id)
