"""Connections: forward and backward pages with stable cursors, limits, totalCount."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  materials(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { name } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _materials(sessions: async_sessionmaker[AsyncSession], n: int) -> list[str]:
    return [
        global_id("Material", await seed.material(sessions, MERCHANT_A, f"m{i:02}"))
        for i in range(n)
    ]


async def test_forward_pages_walk_every_row_once_in_creation_order(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    ids = await _materials(sessions, 7)

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = (await gql.data(PAGE, {"first": 3, "after": after}))["materials"]
        seen += [n["id"] for n in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ids
    assert pages == 3
    assert page["totalCount"] == 7
    assert page["pageInfo"]["hasPreviousPage"] is True


async def test_backward_pages_with_last_and_before(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    ids = await _materials(sessions, 5)

    tail = (await gql.data(PAGE, {"last": 2}))["materials"]
    before = (await gql.data(PAGE, {"last": 2, "before": tail["pageInfo"]["startCursor"]}))[
        "materials"
    ]
    head = (await gql.data(PAGE, {"last": 2, "before": before["pageInfo"]["startCursor"]}))[
        "materials"
    ]

    assert [n["id"] for n in tail["nodes"]] == ids[3:]
    assert tail["pageInfo"]["hasPreviousPage"] is True
    assert tail["pageInfo"]["hasNextPage"] is False
    assert [n["id"] for n in before["nodes"]] == ids[1:3]
    assert before["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in head["nodes"]] == ids[:1]
    assert head["pageInfo"]["hasPreviousPage"] is False


async def test_cursors_are_stable_when_rows_are_added(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    ids = await _materials(sessions, 4)
    first = (await gql.data(PAGE, {"first": 2}))["materials"]

    await _materials(sessions, 3)
    second = (await gql.data(PAGE, {"first": 2, "after": first["pageInfo"]["endCursor"]}))[
        "materials"
    ]
    again = (await gql.data(PAGE, {"first": 2}))["materials"]

    assert [n["id"] for n in second["nodes"]] == ids[2:4]
    assert [e["cursor"] for e in again["edges"]] == [e["cursor"] for e in first["edges"]]


async def test_edges_and_nodes_agree_and_cursors_are_opaque(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    await _materials(sessions, 2)

    page = (await gql.data(PAGE, {"first": 5}))["materials"]

    assert [e["node"]["name"] for e in page["edges"]] == ["m00", "m01"]
    assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
    assert all("Material" not in e["cursor"] for e in page["edges"])
    assert page["pageInfo"]["hasNextPage"] is False


async def test_more_than_250_is_an_error_not_a_clamp(gql: Gql) -> None:
    too_many = await gql(PAGE, {"first": 251})
    negative = await gql(PAGE, {"last": -1})
    both = await gql(PAGE, {"first": 1, "last": 1})
    exactly = await gql(PAGE, {"first": 250})

    assert too_many.data is None
    assert too_many.errors is not None
    assert "between 0 and 250" in too_many.errors[0].message
    assert too_many.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert negative.errors is not None
    assert both.errors is not None
    assert exactly.errors is None


async def test_a_cursor_of_another_connection_or_garbage_is_refused(
    sessions: async_sessionmaker[AsyncSession], gql: Gql
) -> None:
    await _materials(sessions, 1)
    await seed.location(sessions, MERCHANT_A, "Bar")
    location_cursor = (await gql.data("{ locations { edges { cursor } } }"))["locations"]["edges"][
        0
    ]["cursor"]

    wrong_kind = await gql(PAGE, {"first": 1, "after": location_cursor})
    garbage = await gql(PAGE, {"first": 1, "after": "!!!"})

    assert wrong_kind.errors is not None
    assert wrong_kind.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert garbage.errors is not None
