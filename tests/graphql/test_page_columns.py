"""A stocks page reads only the columns its selection shows (stocks/page.py `_COLUMNS`);
every other column comes back NULL. So each field of Stock, Location, InventoryItem and
Material, selected alone on the page, must answer what the same object answers when read
by id (its whole row, through the loaders): a field whose columns the map leaves out
would answer null or a wrong value here. The fields are taken from the served schema, so
a field added later is checked too (and, absent from the map, reads every column)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
    is_leaf_type,
    is_object_type,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from graphql_schema.stocks.page import _COLUMNS
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

AT = datetime(2030, 1, 1, tzinfo=UTC).isoformat()


def _argument(name: str, location: str) -> str:
    return {"ID": f'"{location}"', "String": '"case"', "DateTime": f'"{AT}"'}[name]


def _selection(field_name: str, field: GraphQLField, location: str) -> str:
    """The field with its required arguments, and one level of leaves below it."""
    given = [
        f"{arg}: {_argument(get_named_type(spec.type).name, location)}"
        for arg, spec in field.args.items()
        if isinstance(spec.type, GraphQLNonNull)
    ]
    text_ = field_name + (f"({', '.join(given)})" if given else "")
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return text_
    leaves = ["__typename"]
    if is_object_type(named):
        assert isinstance(named, GraphQLObjectType)
        leaves += [
            name
            for name, sub in named.fields.items()
            if is_leaf_type(get_named_type(sub.type))
            and not any(isinstance(a.type, GraphQLNonNull) for a in sub.args.values())
        ]
    return f"{text_} {{ {' '.join(leaves)} }}"


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """A location, a product and a material with every optional column set, a stock of each."""
    location = await seed.location(sessions, MERCHANT_A, "Bar")
    product, _ = await seed.item(sessions, MERCHANT_A, "Flat white")
    material = await seed.material(sessions, MERCHANT_A, "Milk", unit="ml")
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE location SET code = 'B1', address = '1 Quay' WHERE id = :id"),
            {"id": location},
        )
        for table, pk in (("inventory_item", product), ("material", material)):
            await session.execute(
                text(
                    f"UPDATE {table} SET sku = 'SKU-' || name, average_unit_cost = 0.0012, "
                    "units = jsonb_build_array(jsonb_build_object("
                    "'name', 'case', 'quantity', '6', 'unit', unit)) WHERE id = :id"
                ),
                {"id": pk},
            )
    stocks = []
    for item_type, pk in ((ItemType.PRODUCT, product), (ItemType.MATERIAL, material)):
        stock = await seed.stock(sessions, MERCHANT_A, location, item_type, pk, on_hand="30")
        stocks.append(stock)
    async with sessions.begin() as session:
        await session.execute(
            text(
                "UPDATE stock SET par_level = 12000, reorder_point = 3000, "
                "low_stock_threshold = 2000, version = version + 4 WHERE id = ANY(:ids)"
            ),
            {"ids": stocks},
        )
    return {
        "location": global_id("Location", location),
        "stocks": [global_id("Stock", pk) for pk in stocks],
        "items": {
            "InventoryItem": global_id("InventoryItem", product),
            "Material": global_id("Material", material),
        },
    }


def _fields(schema: strawberry.Schema, type_name: str) -> dict[str, GraphQLField]:
    found = schema._schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    return dict(found.fields)


async def test_each_stock_field_on_the_page_answers_as_the_stock_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any]
) -> None:
    location = shop["location"]
    for name, field in _fields(schema, "Stock").items():
        selection = _selection(name, field, location)
        page = await gql.data(
            "query($l: ID) { stocks(first: 10, locationId: $l) { nodes { id "
            + selection
            + " } } }",
            {"l": location},
        )
        nodes = {node["id"]: node[name] for node in page["stocks"]["nodes"]}
        assert set(nodes) == set(shop["stocks"])
        for stock_id, answer in nodes.items():
            one = await gql.data(
                f"query($id: ID!) {{ stock(id: $id) {{ {selection} }} }}", {"id": stock_id}
            )
            assert answer == one["stock"][name], (name, answer, one)


async def test_each_location_field_on_the_page_answers_as_the_location_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any]
) -> None:
    location = shop["location"]
    for name, field in _fields(schema, "Location").items():
        selection = _selection(name, field, location)
        page = await gql.data(
            "query($l: ID) { stocks(first: 10, locationId: $l) { nodes { location { "
            + selection
            + " } } } }",
            {"l": location},
        )
        one = await gql.data(
            f"query($id: ID!) {{ location(id: $id) {{ {selection} }} }}", {"id": location}
        )
        for node in page["stocks"]["nodes"]:
            assert node["location"][name] == one["location"][name], (name, node, one)


@pytest.mark.parametrize(
    ("type_name", "root"), [("InventoryItem", "inventoryItem"), ("Material", "material")]
)
async def test_each_item_field_on_the_page_answers_as_the_item_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any], type_name: str, root: str
) -> None:
    location = shop["location"]
    item_id = shop["items"][type_name]
    for name, field in _fields(schema, type_name).items():
        selection = _selection(name, field, location)
        page = await gql.data(
            f"query($l: ID) {{ stocks(first: 10, locationId: $l) {{ nodes {{ item {{ "
            f"... on {type_name} {{ id {selection} }} }} }} }} }}",
            {"l": location},
        )
        (node,) = [n["item"] for n in page["stocks"]["nodes"] if n["item"]]
        assert node["id"] == item_id
        one = await gql.data(
            f"query($id: ID!) {{ {root}(id: $id) {{ {selection} }} }}", {"id": item_id}
        )
        assert node[name] == one[root][name], (name, node, one)


def test_the_column_map_names_only_fields_of_its_types(schema: strawberry.Schema) -> None:
    # A misspelt field would never be read from the map, its columns always NULL-free by
    # accident of the fallback; a renamed one would leave its new name reading all.
    for table, type_name in (
        ("stock", "Stock"),
        ("location", "Location"),
        ("inventory_item", "InventoryItem"),
        ("material", "Material"),
    ):
        named = set(_COLUMNS[table]) - {"__typename"}
        assert named == set(_fields(schema, type_name)), table
