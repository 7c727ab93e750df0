"""A recipe line's material comes with its recipe's read (app/db/queries/recipes.py): the
row the material loader reads, answered without a query of its own, through the loader
too until a write makes it forget the material."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import tables as t
from app.db.queries._lookup import plain_rows_by_id
from app.db.queries.recipes import line_material, recipe_lines_by_owner, recipes_by_owner
from app.domain.enums import RecipeOwner
from graphql_schema.ids import global_id
from graphql_schema.loaders import Loaders, forget
from graphql_schema.materials.types import material_from_row
from graphql_schema.recipes.types import material_of_line
from tests.availability.world import Sessions, material, product
from tests.graphql.conftest import Gql
from tests.graphql.statements import counted_statements
from tests.services.sales_builders import Shop, a_shop


@dataclass
class Cafe:
    shop: Shop
    beans: uuid.UUID
    milk: uuid.UUID
    variants: list[uuid.UUID]


@pytest.fixture
async def cafe(sessions: Sessions) -> Cafe:
    """Two recipes sharing a material; one material with units and a cost."""
    shop = await a_shop(sessions)
    beans = await material(sessions, shop, "100")
    milk = await material(sessions, shop, "1000.50", "ml")
    async with sessions.begin() as session:
        await session.execute(
            update(t.material)
            .where(t.material.c.id == milk)
            .values(
                name="Milk",
                units=[{"name": "bottle", "quantity": "750", "unit": "ml"}],
                average_unit_cost=Decimal("0.0020"),
            )
        )
    _, latte = await product(sessions, shop, "latte", {beans: "18", milk: "150"})
    _, espresso = await product(sessions, shop, "espresso", {beans: "18"})
    return Cafe(shop, beans, milk, [latte, espresso])


def reader(sessions: Sessions) -> Callable[[Callable[[AsyncSession], Awaitable[Any]]], Any]:
    async def read(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with sessions() as session:
            return await work(session)

    return read


async def test_a_lines_material_is_the_row_the_material_loader_reads(
    sessions: Sessions, cafe: Cafe
) -> None:
    merchant = cafe.shop.merchant_id
    async with sessions() as session:
        reads = await recipes_by_owner(
            session, merchant, RecipeOwner.PRODUCT_VARIANT, cafe.variants
        )
        loaded = await plain_rows_by_id(session, t.material, merchant, [cafe.beans, cafe.milk])

    lines = [line for read in reads.values() for line in read.lines]

    assert sorted(str(line.material_id) for line in lines) == sorted(
        str(m) for m in (cafe.beans, cafe.milk, cafe.beans)
    )
    for line in lines:
        row = line_material(line, merchant)
        assert row == loaded[line.material_id]
        assert row._fields == loaded[line.material_id]._fields


async def test_the_material_loader_answers_a_recipes_materials_until_it_forgets_one(
    sessions: Sessions, engine: AsyncEngine, cafe: Cafe
) -> None:
    loaders = Loaders(reader(sessions), cafe.shop.merchant_id)
    await loaders.variant_recipe.load(cafe.variants[0])

    with counted_statements(engine) as statements:
        beans, milk = await loaders.material.load_many([cafe.beans, cafe.milk])
    assert statements == []
    assert (beans.id, milk.id, milk.name) == (cafe.beans, cafe.milk, "Milk")

    forget(loaders.material, cafe.milk)
    with counted_statements(engine) as statements:
        again = await loaders.material.load(cafe.milk)
    assert len(statements) == 1
    assert again == milk


MATERIAL = "id name sku unit archived averageUnitCost createdAt updatedAt units { name factor }"
PAGE = f"""{{ inventoryItems {{ nodes {{ name recipe {{ quantity enteredQuantity enteredUnit
  material {{ {MATERIAL} }} }} }} }} }}"""
PAGE_WITHOUT_MATERIALS = """{ inventoryItems { nodes { name recipe { quantity } } } }"""


async def test_a_page_answers_its_recipes_materials_as_the_material_query_without_a_query(
    gql: Gql, engine: AsyncEngine, cafe: Cafe
) -> None:
    merchant = cafe.shop.merchant_id
    with counted_statements(engine) as without:
        await gql.data(PAGE_WITHOUT_MATERIALS, merchant_id=merchant)
    with counted_statements(engine) as statements:
        page = await gql.data(PAGE, merchant_id=merchant)

    assert len(statements) == len(without)
    for line, one in await _lines_and_their_materials(gql, page, MATERIAL, merchant):
        assert line["material"] == one
        assert line["enteredUnit"] == one["unit"]


async def test_a_material_forgotten_before_the_loader_was_asked_is_read_again(
    sessions: Sessions, engine: AsyncEngine, cafe: Cafe
) -> None:
    loaders = Loaders(reader(sessions), cafe.shop.merchant_id)
    await loaders.variant_recipe.load(cafe.variants[0])
    forget(loaders.material, cafe.milk)

    with counted_statements(engine) as statements:
        milk = await loaders.material.load(cafe.milk)
    assert len(statements) == 1
    with counted_statements(engine) as statements:
        beans = await loaders.material.load(cafe.beans)
    assert statements == []
    assert (milk.id, beans.id) == (cafe.milk, cafe.beans)


async def _lines_and_their_materials(
    gql: Gql, page: Any, selection: str, merchant: uuid.UUID
) -> list[tuple[Any, Any]]:
    """Each of the page's (three) recipe lines with its material read by id."""
    lines = [line for node in page["inventoryItems"]["nodes"] for line in node["recipe"]]
    assert len(lines) == 3
    found = []
    for line in lines:
        one = await gql.data(
            f"query($id: ID!) {{ material(id: $id) {{ {selection} }} }}",
            {"id": line["material"]["id"]},
            merchant_id=merchant,
        )
        found.append((line, one["material"]))
    return found


def _material_leaves(schema: strawberry.Schema) -> list[str]:
    found = schema._schema.type_map["Material"]
    assert isinstance(found, GraphQLObjectType)
    return [
        name
        for name, field in found.fields.items()
        if is_leaf_type(get_named_type(field.type)) and not field.args
    ]


async def test_each_material_field_of_a_pages_recipe_lines_answers_as_the_material_query(
    gql: Gql, schema: strawberry.Schema, cafe: Cafe
) -> None:
    # A page's recipe lines read only the material columns their selection shows (the
    # others NULL): each field selected alone must still answer its own value.
    merchant = cafe.shop.merchant_id
    for name in [*_material_leaves(schema), "units { name factor }"]:
        page = await gql.data(
            f"{{ inventoryItems {{ nodes {{ recipe {{ material {{ id {name} }} }} }} }} }}",
            merchant_id=merchant,
        )
        key = name.split()[0]
        for line, one in await _lines_and_their_materials(gql, page, name, merchant):
            assert line["material"][key] == one[key], (name, line, one)


async def test_entered_unit_alone_answers_the_materials_unit(gql: Gql, cafe: Cafe) -> None:
    page = await gql.data(
        "{ inventoryItems { nodes { recipe { enteredUnit } } } }",
        merchant_id=cafe.shop.merchant_id,
    )
    units = sorted(
        line["enteredUnit"] for n in page["inventoryItems"]["nodes"] for line in n["recipe"]
    )
    assert units == ["g", "g", "ml"]


async def test_a_recipe_read_of_shown_columns_leaves_the_others_null(
    sessions: Sessions, cafe: Cafe
) -> None:
    merchant = cafe.shop.merchant_id
    async with sessions() as session:
        narrow = await recipe_lines_by_owner(
            session, merchant, RecipeOwner.PRODUCT_VARIANT, cafe.variants, frozenset({"unit"})
        )
        full = await recipes_by_owner(session, merchant, RecipeOwner.PRODUCT_VARIANT, cafe.variants)

    assert set(narrow) == set(full)
    for variant, lines in narrow.items():
        whole = full[variant].lines
        assert [(line.material_id, line.quantity) for line in lines] == [
            (line.material_id, line.quantity) for line in whole
        ]
        for line, all_of_it in zip(lines, whole, strict=True):
            assert line._fields == all_of_it._fields
            assert (line.material__name, line.material__unit) == (
                all_of_it.material__name,
                all_of_it.material__unit,
            )
            assert all_of_it.material__created_at is not None
            assert (line.material__created_at, line.updated_at) == (None, None)


async def test_a_narrow_recipe_read_never_answers_the_material_loader(gql: Gql, cafe: Cafe) -> None:
    # The page shows only names; the material asked in the same request answers its
    # whole row (the narrow lines must not reach the loader's kept rows).
    merchant = cafe.shop.merchant_id
    whole = "sku unit averageUnitCost createdAt updatedAt units { name factor }"
    alone = await gql.data(
        f"query($id: ID!) {{ material(id: $id) {{ {whole} }} }}",
        {"id": global_id("Material", cafe.milk)},
        merchant_id=merchant,
    )
    both = await gql.data(
        "query($id: ID!) { inventoryItems { nodes { recipe { material { name } } } } "
        f"material(id: $id) {{ {whole} }} }}",
        {"id": global_id("Material", cafe.milk)},
        merchant_id=merchant,
    )
    assert both["material"] == alone["material"]
    assert alone["material"]["createdAt"] is not None


async def test_a_lines_material_is_built_as_from_the_material_row(
    sessions: Sessions, cafe: Cafe
) -> None:
    merchant = cafe.shop.merchant_id
    async with sessions() as session:
        reads = await recipes_by_owner(
            session, merchant, RecipeOwner.PRODUCT_VARIANT, cafe.variants
        )

    lines = [line for read in reads.values() for line in read.lines]
    assert len(lines) == 3
    for line in lines:
        built = material_of_line(line)
        assert built == material_from_row(line_material(line, merchant))
        assert built.own_units is not None
