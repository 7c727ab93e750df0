"""The inventoryItems and materials pages and the stocks of a page's items and materials
read only the columns their selection shows (graphql_schema/shown_columns.py), the others
NULL. So each field of InventoryItem, Material and Stock, selected alone there, must
answer what the same object answers read by id (its whole row): a field whose columns
the map leaves out would answer null or a wrong value here. The fields come from the
served schema, so a field added later is checked too."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.queries.items import ItemsPage, items_pages_with_availability
from app.db.queries.keyset import KeysetPage
from app.db.queries.materials import materials_page
from app.db.queries.stocks import stocks_of_items
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from graphql_schema.item_stocks import STOCK_FIELD_COLUMNS, stock_columns
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """A location, a product and a material with every optional column set, a stock of each."""
    full = await seed.every_column_set(sessions, MERCHANT_A)
    location, product, material, stocks = full.location, full.product, full.material, full.stocks
    return {
        "location": location,
        "product": product,
        "material": material,
        "stocks": [global_id("Stock", pk) for pk in stocks],
    }


def _leaves(schema: strawberry.Schema, type_name: str) -> list[str]:
    found = schema._schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    return [
        name
        for name, field in found.fields.items()
        if is_leaf_type(get_named_type(field.type)) and not field.args
    ]


async def test_each_material_field_on_the_page_answers_as_the_material_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any]
) -> None:
    for name in [*_leaves(schema, "Material"), "units { name factor }"]:
        page = await gql.data(f"{{ materials {{ nodes {{ id {name} }} }} }}")
        (node,) = page["materials"]["nodes"]
        one = await gql.data(
            f"query($id: ID!) {{ material(id: $id) {{ {name} }} }}", {"id": node["id"]}
        )
        key = name.split()[0]
        assert node[key] == one["material"][key], (name, node, one)


async def test_each_item_field_on_the_page_answers_as_the_item_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any]
) -> None:
    location = global_id("Location", shop["location"])
    fields = [
        *_leaves(schema, "InventoryItem"),
        "units { name factor }",
        f'availableToSell(locationId: "{location}")',
        "recipe { quantity }",
    ]
    for name in fields:
        page = await gql.data(f"{{ inventoryItems {{ nodes {{ id {name} }} }} }}")
        (node,) = page["inventoryItems"]["nodes"]
        one = await gql.data(
            f"query($id: ID!) {{ inventoryItem(id: $id) {{ {name} }} }}", {"id": node["id"]}
        )
        key = name.split()[0].split("(")[0]
        assert node[key] == one["inventoryItem"][key], (name, node, one)


@pytest.mark.parametrize("root", ["inventoryItems", "materials"])
async def test_each_stock_field_of_a_pages_items_answers_as_the_stock_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any], root: str
) -> None:
    fields = [
        *_leaves(schema, "Stock"),
        "location { id name }",
        "item { ... on InventoryItem { id name } ... on Material { id name } }",
        'onHandIn(unit: "case")',
        'availableIn(unit: "case")',
        "movements { totalCount }",
    ]
    for name in fields:
        page = await gql.data(f"{{ {root} {{ nodes {{ stocks {{ id {name} }} }} }} }}")
        (node,) = page[root]["nodes"]
        (stock,) = node["stocks"]
        assert stock["id"] in shop["stocks"]
        one = await gql.data(
            f"query($id: ID!) {{ stock(id: $id) {{ {name} }} }}", {"id": stock["id"]}
        )
        key = name.split()[0].split("(")[0]
        assert stock[key] == one["stock"][key], (name, stock, one)


async def test_the_stocks_of_items_read_of_shown_columns_leaves_the_others_null(
    sessions: async_sessionmaker[AsyncSession], shop: dict[str, Any]
) -> None:
    product = shop["product"]
    shown = frozenset({"id", "on_hand"})
    async with sessions() as session:
        narrow = await stocks_of_items(
            session, MERCHANT_A, ItemType.PRODUCT, [product], None, shown
        )
        whole = await stocks_of_items(session, MERCHANT_A, ItemType.PRODUCT, [product])

    ((row,), (full,)) = narrow[product], whole[product]
    assert row._fields == tuple(name for name in full._fields if name != "item_type")
    assert row.item_type is full.item_type is ItemType.PRODUCT
    assert (row.id, row.on_hand, row.inventory_item_id) == (
        full.id,
        full.on_hand,
        full.inventory_item_id,
    )
    assert full.version is not None
    assert full.par_level is not None
    assert (row.version, row.par_level, row.updated_at) == (None, None, None)


async def test_an_items_page_of_shown_columns_leaves_the_others_null(
    sessions: async_sessionmaker[AsyncSession], shop: dict[str, Any]
) -> None:
    asked = [ItemsPage(KeysetPage(10))]
    async with sessions() as session:
        (narrow,) = await items_pages_with_availability(
            session, MERCHANT_A, asked, [], frozenset({"id", "name"})
        )
        (whole,) = await items_pages_with_availability(session, MERCHANT_A, asked, [])

    ((row,), (full,)) = narrow.rows, whole.rows
    assert row._fields == full._fields
    assert (row.id, row.name, row.product_variant_id) == (
        full.id,
        full.name,
        full.product_variant_id,
    )
    assert full.sku is not None
    assert full.created_at is not None
    assert (row.sku, row.created_at, row.average_unit_cost) == (None, None, None)


async def test_a_materials_page_of_shown_columns_leaves_the_others_null(
    sessions: async_sessionmaker[AsyncSession], shop: dict[str, Any]
) -> None:
    shown = frozenset({"id", "name"})
    async with sessions() as session:
        narrow = await materials_page(session, MERCHANT_A, KeysetPage(10), columns=shown)
        whole = await materials_page(session, MERCHANT_A, KeysetPage(10))

    ((row,), (full,)) = narrow.rows, whole.rows
    assert row._fields == full._fields
    assert (row.id, row.name) == (full.id, full.name)
    assert full.sku is not None
    assert full.created_at is not None
    assert (row.sku, row.created_at, row.average_unit_cost) == (None, None, None)


def test_the_stock_column_map_names_the_fields_of_stock(schema: strawberry.Schema) -> None:
    # A misspelt field would never be read from the map; a new field, absent, reads all.
    found = schema._schema.type_map["Stock"]
    assert isinstance(found, GraphQLObjectType)
    assert set(STOCK_FIELD_COLUMNS) - {"__typename"} == set(found.fields)


def test_a_stock_selection_reads_the_columns_of_its_fields() -> None:
    assert stock_columns(frozenset({"id", "onHand", "available"})) == {
        "id",
        "on_hand",
        "available",
    }
    assert stock_columns(frozenset({"location", "lowStock"})) == {
        "id",
        "location_id",
        "available",
        "low_stock_threshold",
    }
    assert stock_columns(frozenset({"id", "notAField"})) is None
