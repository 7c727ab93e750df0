"""Recipe mutations: a product variant's recipe and a modifier option's (material.manage)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.errors import UserErrorCode
from app.services import recipes as service
from graphql_schema.context import Info
from graphql_schema.errors import UserError
from graphql_schema.ids import NO_ROW, parse_external_id
from graphql_schema.items.types import InventoryItem, load_item
from graphql_schema.loaders import forget
from graphql_schema.mutations import input_id, mutate
from graphql_schema.permissions import CanManageMaterials, secured
from graphql_schema.recipes.types import ModifierRecipe, modifier_recipe_of


@strawberry.input
class RecipeLineInput:
    material_id: strawberry.ID
    quantity: Decimal
    unit: str | None = None


@strawberry.type
class RecipePayload:
    inventory_item: InventoryItem | None
    user_errors: list[UserError]


@strawberry.type
class ModifierRecipePayload:
    modifier_recipe: ModifierRecipe | None
    user_errors: list[UserError]


def service_lines(lines: list[RecipeLineInput]) -> list[service.RecipeLineInput]:
    return [
        service.RecipeLineInput(input_id(line.material_id, "Material"), line.quantity, line.unit)
        for line in lines
    ]


@strawberry.type
class RecipeMutations:
    @secured(CanManageMaterials)
    async def recipe_set(
        self, info: Info, product_variant_id: strawberry.ID, lines: list[RecipeLineInput]
    ) -> RecipePayload:
        variant = parse_external_id(product_variant_id) or NO_ROW

        async def fresh(info: Info, result: service.RecipeResult) -> InventoryItem | None:
            forget(info.context.loaders.variant_recipe, variant)
            return await load_item(info, result.inventory_item_id)

        item, errors = await mutate(
            info,
            lambda uow, actor: service.set_recipe(
                uow, actor, product_variant_id=variant, lines=service_lines(lines)
            ),
            fresh,
        )
        return RecipePayload(inventory_item=item, user_errors=errors)

    @secured(CanManageMaterials)
    async def modifier_recipe_set(
        self, info: Info, modifier_option_id: strawberry.ID, lines: list[RecipeLineInput]
    ) -> ModifierRecipePayload:
        option = parse_external_id(modifier_option_id)
        if option is None:
            error = UserError(
                field=["modifierOptionId"],
                message="must be a UUID",
                code=UserErrorCode.INVALID,
            )
            return ModifierRecipePayload(modifier_recipe=None, user_errors=[error])

        async def fresh(info: Info, _result: service.ModifierRecipeResult) -> ModifierRecipe | None:
            loader = info.context.loaders.modifier_recipe
            forget(loader, option)
            read = await loader.load(option)
            return None if read is None else modifier_recipe_of(read)

        recipe, errors = await mutate(
            info,
            lambda uow, actor: service.set_modifier_recipe(
                uow, actor, modifier_option_id=option, lines=service_lines(lines)
            ),
            fresh,
        )
        return ModifierRecipePayload(modifier_recipe=recipe, user_errors=errors)
