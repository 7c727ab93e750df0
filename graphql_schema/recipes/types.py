"""Recipe lines of product variants, and the recipes of modifier options."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from app.db.queries.recipes import RecipeRead
from graphql_schema.context import Info
from graphql_schema.materials.types import Material, load_material


@strawberry.type
class RecipeLine:
    material_id: strawberry.Private[uuid.UUID]
    quantity: Decimal = strawberry.field(
        description="Of the material's unit, per one unit of the product."
    )

    @strawberry.field
    async def material(self, info: Info) -> Material:
        material = await load_material(info, self.material_id)
        assert material is not None, "a recipe line's material belongs to its merchant"
        return material


@strawberry.type(description="Materials one unit of a modifier option adds to a sale.")
class ModifierRecipe:
    modifier_option_id: strawberry.ID
    lines: list[RecipeLine]
    updated_at: datetime


def recipe_lines(read: RecipeRead | None) -> list[RecipeLine]:
    if read is None:
        return []
    return [RecipeLine(material_id=row.material_id, quantity=row.quantity) for row in read.lines]


def modifier_recipe_of(read: RecipeRead) -> ModifierRecipe:
    return ModifierRecipe(
        modifier_option_id=strawberry.ID(str(read.owner_id)),
        lines=recipe_lines(read),
        updated_at=read.updated_at,
    )
