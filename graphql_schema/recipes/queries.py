"""Modifier recipe query (product recipes are read through InventoryItem.recipe)."""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.ids import parse_external_id
from graphql_schema.permissions import CanRead, secured
from graphql_schema.recipes.types import ModifierRecipe, modifier_recipe_of


@strawberry.type
class RecipeQueries:
    @secured(CanRead)
    async def modifier_recipe(
        self, info: Info, modifier_option_id: strawberry.ID
    ) -> ModifierRecipe | None:
        option = parse_external_id(modifier_option_id)
        if option is None:
            return None
        read = await info.context.loaders.modifier_recipe.load(option)
        return None if read is None else modifier_recipe_of(read)
