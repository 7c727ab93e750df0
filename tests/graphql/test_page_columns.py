"""A stocks page reads only the columns its selection shows (`FIELD_COLUMNS` of
graphql_schema/shown_columns.py); every other column comes back NULL. So each field of
Stock, Location, InventoryItem and Material, selected alone on the page, must answer
what the same object answers when read by id (its whole row, through the loaders): a
field whose columns the map leaves out would answer null or a wrong value here. The
fields are taken from the served schema, so a field added later is checked too (and,
absent from the map, reads every column)."""

from __future__ import annotations

from collections.abc import Callable
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graphql_schema.ids import global_id
from graphql_schema.shown_columns import FIELD_COLUMNS
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
    full = await seed.every_column_set(sessions, MERCHANT_A)
    location, product, material, stocks = full.location, full.product, full.material, full.stocks
    return {
        "location": global_id("Location", location),
        "ids": {
            "Stock": {global_id("Stock", pk) for pk in stocks},
            "Location": {global_id("Location", location)},
            "InventoryItem": {global_id("InventoryItem", product)},
            "Material": {global_id("Material", material)},
        },
    }


def _fields(schema: strawberry.Schema, type_name: str) -> dict[str, GraphQLField]:
    found = schema._schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    return dict(found.fields)


# Each type on the stocks page: its root field by id, how a selection of its fields sits
# in a page's node (with the object's id), and where the object is in the node.
ON_THE_PAGE: dict[str, tuple[str, Callable[[str], str], Callable[[Any], Any]]] = {
    "Stock": ("stock", lambda fields: fields, lambda node: node),
    "Location": (
        "location",
        lambda fields: f"location {{ id {fields} }}",
        lambda node: node["location"],
    ),
    "InventoryItem": (
        "inventoryItem",
        lambda fields: f"item {{ ... on InventoryItem {{ id {fields} }} }}",
        lambda node: node["item"],
    ),
    "Material": (
        "material",
        lambda fields: f"item {{ ... on Material {{ id {fields} }} }}",
        lambda node: node["item"],
    ),
}


@pytest.mark.parametrize("type_name", list(ON_THE_PAGE))
async def test_each_field_on_the_page_answers_as_its_object_read_by_id(
    gql: Gql, schema: strawberry.Schema, shop: dict[str, Any], type_name: str
) -> None:
    root, placed, reached = ON_THE_PAGE[type_name]
    location = shop["location"]
    for name, field in _fields(schema, type_name).items():
        selection = _selection(name, field, location)
        page = await gql.data(
            "query($l: ID) { stocks(first: 10, locationId: $l) { nodes { id "
            + placed(selection)
            + " } } }",
            {"l": location},
        )
        # An item fragment of the other type answers {} on the other stock.
        found = [reached(node) for node in page["stocks"]["nodes"] if reached(node)]
        assert {thing["id"] for thing in found} == shop["ids"][type_name], name
        for thing in found:
            one = await gql.data(
                f"query($id: ID!) {{ {root}(id: $id) {{ {selection} }} }}", {"id": thing["id"]}
            )
            assert thing[name] == one[root][name], (name, thing, one)


def test_the_column_map_names_only_fields_of_its_types(schema: strawberry.Schema) -> None:
    # A misspelt field would never be read from the map, its columns always NULL-free by
    # accident of the fallback; a renamed one would leave its new name reading all.
    for table, type_name in (
        ("stock", "Stock"),
        ("location", "Location"),
        ("inventory_item", "InventoryItem"),
        ("material", "Material"),
    ):
        named = set(FIELD_COLUMNS[table]) - {"__typename"}
        assert named == set(_fields(schema, type_name)), table
