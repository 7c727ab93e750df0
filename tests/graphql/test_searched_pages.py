"""The inventoryItems and materials pages read by one bound statement per shape (the
search term a bound pattern): % and _ are taken literally, archived rows only when asked,
and a page answers what its totalCount counts, with and without availableToSell."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

NAMES = ["Milk 50%", "Milk 500", "Mil_k", "Milk old"]


@pytest.fixture
async def location(sessions: async_sessionmaker[AsyncSession]) -> str:
    """Items and materials of the same names, "Milk old" archived."""
    for name in NAMES:
        await seed.material(sessions, MERCHANT_A, name)
        await seed.item(sessions, MERCHANT_A, name)
    async with sessions.begin() as session:
        for table in (t.material, t.inventory_item):
            await session.execute(
                update(table).where(table.c.name == "Milk old").values(archived=True)
            )
    return global_id("Location", await seed.location(sessions, MERCHANT_A, "Bar"))


@pytest.mark.parametrize(
    ("search", "archived", "found"),
    [
        ("0%", False, ["Milk 50%"]),
        ("l_", False, ["Mil_k"]),
        ("MILK", False, ["Milk 50%", "Milk 500"]),
        ("milk", True, ["Milk 50%", "Milk 500", "Milk old"]),
        ("", False, sorted(["Milk 50%", "Milk 500", "Mil_k"])),
    ],
)
async def test_a_searched_page_takes_the_term_literally(
    gql: Gql, location: str, search: str, archived: bool, found: list[str]
) -> None:
    data = await gql.data(
        """query($s: String, $a: Boolean, $l: ID!) {
          materials(search: $s, includeArchived: $a) { totalCount nodes { name } }
          items: inventoryItems(search: $s, includeArchived: $a) { totalCount nodes { name } }
          atBar: inventoryItems(search: $s, includeArchived: $a) {
            nodes { name availableToSell(locationId: $l) } }
          last: inventoryItems(last: 2, search: $s, includeArchived: $a) { nodes { name } }
        }""",
        {"s": search, "a": archived, "l": location},
    )

    assert sorted(n["name"] for n in data["materials"]["nodes"]) == found
    assert sorted(n["name"] for n in data["items"]["nodes"]) == found
    assert sorted(n["name"] for n in data["atBar"]["nodes"]) == found
    assert data["materials"]["totalCount"] == data["items"]["totalCount"] == len(found)
    assert data["last"]["nodes"] == data["items"]["nodes"][-2:]
