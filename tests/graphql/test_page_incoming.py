"""A stocks page reads `incoming` in its own statement (stocks/page.py); a stock reached
another way asks the loader. Both answer the same sum of ORDERED lines not received."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.domain.enums import ItemType
from graphql_schema.ids import parse_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql
from tests.graphql.purchasing_helpers import line, material_in_cases, place, shop

PAGE = """query($l: ID) { stocks(first: 10, locationId: $l) { nodes { id incoming
  item { ... on Material { name } } } } }"""
ONE = """query($id: ID!) { stock(id: $id) { incoming } }"""
AT_LOCATION = """query($l: ID!) { location(id: $l) {
  stocks(first: 10) { nodes { id incoming } } } }"""


async def test_the_page_and_the_loader_answer_the_same_incoming(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location, vendor = await shop(sessions)
    oat = await material_in_cases(gql, "Oat milk", case="6")
    rice = await material_in_cases(gql, "Rice milk", case="6")
    location_pk = parse_id(location, "Location")
    assert location_pk is not None
    for material in (oat, rice):
        material_pk = parse_id(material, "Material")
        assert material_pk is not None
        await seed.stock(sessions, MERCHANT_A, location_pk, ItemType.MATERIAL, material_pk)
    # Two ordered orders of oat milk (2 cases, then 1.5 l) and a draft that is not incoming.
    for lines, status in (
        ([line(oat, "2", "9", "case")], None),
        ([line(oat, "1.5", "2")], None),
        ([line(oat, "5", "9", "case"), line(rice, "4", "9", "case")], "DRAFT"),
    ):
        assert (await place(gql, location, vendor, lines, status=status))["userErrors"] == []
    expected = {"Oat milk": str(2 * 6 + 1.5), "Rice milk": "0"}

    page = (await gql.data(PAGE, {"l": location}))["stocks"]["nodes"]
    by_name = {node["item"]["name"]: node["incoming"] for node in page}
    one_by_one = {
        node["item"]["name"]: (await gql.data(ONE, {"id": node["id"]}))["stock"]["incoming"]
        for node in page
    }
    nested = (await gql.data(AT_LOCATION, {"l": location}))["location"]["stocks"]["nodes"]

    assert by_name == expected
    assert one_by_one == expected
    assert {node["id"]: node["incoming"] for node in nested} == {
        node["id"]: node["incoming"] for node in page
    }
