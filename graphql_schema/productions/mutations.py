"""Prep item mutations: a material's prep recipe (material.manage) and recording a
production (stock.adjust: it moves stock like an adjustment does)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import strawberry

from app.services import prep_recipes, productions
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.loaders import forget
from graphql_schema.materials.mutations import MaterialPayload, fresh_material
from graphql_schema.materials.types import Material
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanAdjustStock, CanManageMaterials, secured
from graphql_schema.productions.types import Production, load_production
from graphql_schema.recipes.mutations import RecipeLineInput, service_lines


@strawberry.input
class PrepRecipeInput:
    yield_quantity: Decimal
    yield_unit: str | None = None
    lines: list[RecipeLineInput]


@strawberry.input
class ProductionInput:
    location_id: strawberry.ID
    material_id: strawberry.ID
    quantity_produced: Decimal
    unit: str | None = None
    consumed: list[RecipeLineInput] | None = None
    reason: str | None = None
    allow_negative: bool | None = False


@strawberry.type
class ProductionPayload:
    production: Production | None
    user_errors: list[UserError]


async def _fresh_production(info: Info, production_id: uuid.UUID) -> Production | None:
    return await load_production(info, production_id)


@strawberry.type
class ProductionMutations:
    @secured(CanManageMaterials)
    async def material_prep_recipe_set(
        self, info: Info, material_id: strawberry.ID, input: PrepRecipeInput | None = None
    ) -> MaterialPayload:
        pk = input_id(material_id, "Material")
        recipe = None
        if input is not None:
            recipe = prep_recipes.PrepRecipeInput(
                yield_quantity=input.yield_quantity,
                lines=service_lines(input.lines),
                yield_unit=input.yield_unit,
            )

        async def fresh(info: Info, material: uuid.UUID) -> Material | None:
            forget(info.context.loaders.prep_recipe, material)
            return await fresh_material(info, material)

        material, errors = await mutate(
            info,
            lambda uow, actor: prep_recipes.set_prep_recipe(uow, actor, pk, recipe),
            fresh,
        )
        return MaterialPayload(material=material, user_errors=errors)

    @secured(CanAdjustStock)
    async def production_record(
        self, info: Info, input: ProductionInput, idempotency_key: str | None = None
    ) -> ProductionPayload:
        given = productions.ProductionInput(
            location_id=input_id(input.location_id, "Location"),
            material_id=input_id(input.material_id, "Material"),
            quantity_produced=input.quantity_produced,
            unit=input.unit,
            consumed=None if input.consumed is None else service_lines(input.consumed),
            reason=input.reason,
            allow_negative=bool(input.allow_negative),
        )
        production, errors = await mutate(
            info,
            lambda uow, actor: productions.record_production(uow, actor, given, idempotency_key),
            _fresh_production,
        )
        return ProductionPayload(production=production, user_errors=errors)
