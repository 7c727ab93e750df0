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
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import tables as t
from app.db.queries._lookup import plain_rows_by_id
from app.db.queries.recipes import line_material, recipes_by_owner
from app.domain.enums import RecipeOwner
from graphql_schema.loaders import Loaders, forget
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
    lines = [line for node in page["inventoryItems"]["nodes"] for line in node["recipe"]]
    assert len(lines) == 3
    for line in lines:
        one = await gql.data(
            f"query($id: ID!) {{ material(id: $id) {{ {MATERIAL} }} }}",
            {"id": line["material"]["id"]},
            merchant_id=merchant,
        )
        assert line["material"] == one["material"]
        assert line["enteredUnit"] == one["material"]["unit"]


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
