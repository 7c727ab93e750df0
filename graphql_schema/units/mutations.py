"""Own units of materials and inventory items (material.manage): define, redefine, remove."""

from __future__ import annotations

import uuid

import strawberry

from app.services import item_units as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.items.types import InventoryItem, load_item
from graphql_schema.loaders import forget
from graphql_schema.materials.mutations import MaterialPayload, fresh_material
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanManageMaterials, secured
from graphql_schema.units.inputs import ItemUnitInput


@strawberry.type
class InventoryItemPayload:
    inventory_item: InventoryItem | None
    user_errors: list[UserError]


async def _fresh_item(info: Info, item_id: uuid.UUID) -> InventoryItem | None:
    forget(info.context.loaders.item, item_id)
    return await load_item(info, item_id)


@strawberry.type
class UnitMutations:
    @secured(CanManageMaterials)
    async def material_unit_set(
        self, info: Info, material_id: strawberry.ID, input: ItemUnitInput
    ) -> MaterialPayload:
        pk = input_id(material_id, "Material")
        material, errors = await mutate(
            info,
            lambda uow, actor: service.set_item_unit(
                uow, actor, service.MATERIAL_UNITS, pk, input.to_service()
            ),
            fresh_material,
        )
        return MaterialPayload(material=material, user_errors=errors)

    @secured(CanManageMaterials)
    async def material_unit_remove(
        self, info: Info, material_id: strawberry.ID, name: str
    ) -> MaterialPayload:
        pk = input_id(material_id, "Material")
        material, errors = await mutate(
            info,
            lambda uow, actor: service.remove_item_unit(
                uow, actor, service.MATERIAL_UNITS, pk, name
            ),
            fresh_material,
        )
        return MaterialPayload(material=material, user_errors=errors)

    @secured(CanManageMaterials)
    async def inventory_item_unit_set(
        self, info: Info, inventory_item_id: strawberry.ID, input: ItemUnitInput
    ) -> InventoryItemPayload:
        pk = input_id(inventory_item_id, "InventoryItem")
        item, errors = await mutate(
            info,
            lambda uow, actor: service.set_item_unit(
                uow, actor, service.ITEM_UNITS, pk, input.to_service()
            ),
            _fresh_item,
        )
        return InventoryItemPayload(inventory_item=item, user_errors=errors)

    @secured(CanManageMaterials)
    async def inventory_item_unit_remove(
        self, info: Info, inventory_item_id: strawberry.ID, name: str
    ) -> InventoryItemPayload:
        pk = input_id(inventory_item_id, "InventoryItem")
        item, errors = await mutate(
            info,
            lambda uow, actor: service.remove_item_unit(uow, actor, service.ITEM_UNITS, pk, name),
            _fresh_item,
        )
        return InventoryItemPayload(inventory_item=item, user_errors=errors)
