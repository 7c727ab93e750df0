"""Material mutations: create, update, archive (inventory:material.manage)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from app.services import materials as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.materials.types import TYPE_NAME, Material, load_material
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanManageMaterials, secured
from graphql_schema.units.inputs import ItemUnitInput


@strawberry.input
class MaterialInput:
    name: str
    sku: str | None = None
    unit: str
    low_stock_threshold: Decimal | None = None
    units: list[ItemUnitInput] | None = None


@strawberry.input
class MaterialUpdateInput:
    name: str | None = None
    sku: str | None = None
    unit: str | None = None


@strawberry.type
class MaterialPayload:
    material: Material | None
    user_errors: list[UserError]


async def fresh_material(info: Info, material_id: uuid.UUID) -> Material | None:
    """The material as it is after a write (the loader forgets what it had)."""
    forget(info.context.loaders.material, material_id)
    return await load_material(info, material_id)


async def _fresh(info: Info, result: service.MaterialResult) -> Material | None:
    return await fresh_material(info, result.material_id)


@strawberry.type
class MaterialMutations:
    @secured(CanManageMaterials)
    async def material_create(
        self, info: Info, input: MaterialInput, idempotency_key: str | None = None
    ) -> MaterialPayload:
        material, errors = await mutate(
            info,
            lambda uow, actor: service.create_material(
                uow,
                actor,
                name=input.name,
                unit=input.unit,
                sku=input.sku,
                low_stock_threshold=input.low_stock_threshold,
                units=[u.to_service() for u in input.units or ()],
                idempotency_key=idempotency_key,
            ),
            _fresh,
        )
        return MaterialPayload(material=material, user_errors=errors)

    @secured(CanManageMaterials)
    async def material_update(
        self, info: Info, id: strawberry.ID, input: MaterialUpdateInput
    ) -> MaterialPayload:
        pk = input_id(id, TYPE_NAME)
        material, errors = await mutate(
            info,
            lambda uow, actor: service.update_material(
                uow,
                actor,
                pk,
                name=input.name,
                sku=input.sku,
                unit=input.unit,
            ),
            _fresh,
        )
        return MaterialPayload(material=material, user_errors=errors)

    @secured(CanManageMaterials)
    async def material_archive(self, info: Info, id: strawberry.ID) -> MaterialPayload:
        pk = input_id(id, TYPE_NAME)
        material, errors = await mutate(
            info,
            lambda uow, actor: service.archive_material(uow, actor, pk),
            _fresh,
        )
        return MaterialPayload(material=material, user_errors=errors)
