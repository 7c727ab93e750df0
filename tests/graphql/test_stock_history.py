# ruff: noqa: E501  (GraphQL documents read better on one line)
"""Stock.onHandAt: on hand at a moment, from the ledger's quantities after each movement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Gql

ADJUST = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) { userErrors { message } } }"""
AT = """query($id: ID!, $a: DateTime!, $b: DateTime!, $c: DateTime!, $d: DateTime!) {
  node(id: $id) { ... on Stock { onHand a: onHandAt(at: $a) b: onHandAt(at: $b) c: onHandAt(at: $c) d: onHandAt(at: $d) } } }"""


async def test_on_hand_at_reads_the_quantity_after_the_last_movement_before_the_moment(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = await seed.location(sessions, MERCHANT_A)
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, location, ItemType.MATERIAL, flour, "10")
    ref = {"stockId": global_id("Stock", stock_id)}
    for delta in ("5", "-3"):
        data = await gql.data(ADJUST, {"i": {"stock": ref, "delta": delta, "reason": "r"}})
        assert data["stockAdjust"]["userErrors"] == []
    async with sessions() as session:
        times = list(
            (
                await session.execute(
                    select(t.stock_movement.c.occurred_at)
                    .where(t.stock_movement.c.stock_id == stock_id)
                    .order_by(t.stock_movement.c.occurred_at)
                )
            ).scalars()
        )
    assert len(times) == 3
    tick = timedelta(microseconds=1)

    data = await gql.data(
        AT,
        {
            "id": global_id("Stock", stock_id),
            # Before the first movement; at the second (strictly before: 10); just after
            # the second (10 + 5); after the last (10 + 5 - 3).
            "a": (times[0] - tick).isoformat(),
            "b": times[1].isoformat(),
            "c": (times[1] + tick).isoformat(),
            "d": (times[2] + timedelta(days=1)).isoformat(),
        },
    )

    assert data["node"] == {"onHand": "12", "a": "0", "b": "10", "c": "15", "d": "12"}


async def test_on_hand_at_of_a_page_of_stocks_reads_each_stock_own_history(
    gql: Gql, sessions: async_sessionmaker[AsyncSession]
) -> None:
    location = await seed.location(sessions, MERCHANT_A)
    amounts = {"Flour": "4", "Sugar": "7.5", "Salt": "0"}
    for name, amount in amounts.items():
        material = await seed.material(sessions, MERCHANT_A, name)
        await seed.stock(sessions, MERCHANT_A, location, ItemType.MATERIAL, material, amount)
    # Another merchant's stock with history stays out of the page.
    other = await seed.location(sessions, MERCHANT_B)
    other_material = await seed.material(sessions, MERCHANT_B, "Flour")
    await seed.stock(sessions, MERCHANT_B, other, ItemType.MATERIAL, other_material, "99")

    data = await gql.data(
        """query($l: ID!) { stocks(locationId: $l, first: 10) { nodes { onHand onHandAt(at: "2100-01-01T00:00:00Z") past: onHandAt(at: "2000-01-01T00:00:00Z") } } }""",
        {"l": global_id("Location", location)},
    )

    nodes = data["stocks"]["nodes"]
    assert sorted(Decimal(n["onHandAt"]) for n in nodes) == [Decimal(0), Decimal(4), Decimal("7.5")]
    assert all(n["onHandAt"] == n["onHand"] and n["past"] == "0" for n in nodes)
