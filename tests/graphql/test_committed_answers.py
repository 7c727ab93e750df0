"""A committed write is answered as committed, even when every read after its commit fails.

The failure is injected after commit: from then on, every read on the request's read
connection raises what an exhausted pool raises. The payload comes from the rows the
transaction wrote, so the answer is the write's, and the ledger holds it once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import tables as t
from app.domain.enums import ItemType
from app.services import stock_adjustments
from graphql_schema.ids import global_id
from graphql_schema.reads import Reads
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, Gql

ADJUST = """mutation($i: StockAdjustInput!) { stockAdjust(input: $i) {
  stock { id onHand reserved available version lowStock }
  movement { type deltaOnHand onHandAfter reason }
  userErrors { field message code } } }"""


@pytest.fixture
def reads_fail_after_commit(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """After the service's transaction commits, every read raises a pool timeout."""
    committed: list[str] = []
    write = stock_adjustments._write_movement

    async def then_fail(*args: Any, **kwargs: Any) -> Any:
        result = await write(*args, **kwargs)
        committed.append("committed")
        return result

    async def refused(self: Reads, query: Any) -> Any:
        if committed:
            raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")
        return await original(self, query)

    original = Reads.run
    monkeypatch.setattr(stock_adjustments, "_write_movement", then_fail)
    monkeypatch.setattr(Reads, "run", refused)
    return committed


async def test_a_read_failing_after_commit_still_answers_the_committed_write(
    sessions: async_sessionmaker[AsyncSession], gql: Gql, reads_fail_after_commit: list[str]
) -> None:
    bar = await seed.location(sessions, MERCHANT_A, "Bar")
    flour = await seed.material(sessions, MERCHANT_A, "Flour")
    stock_id = await seed.stock(sessions, MERCHANT_A, bar, ItemType.MATERIAL, flour, "2")
    ref = {"stockId": global_id("Stock", stock_id)}

    result = await gql(ADJUST, {"i": {"stock": ref, "delta": "3", "reason": "delivery"}})

    assert reads_fail_after_commit == ["committed"]
    assert result.errors is None
    answer = result.data["stockAdjust"] if result.data else {}
    assert answer["userErrors"] == []
    # 2 + 3 on hand, nothing reserved, version 1 + 1; the movement as written.
    assert answer["stock"] == {
        "id": global_id("Stock", stock_id),
        "onHand": "5",
        "reserved": "0",
        "available": "5",
        "version": 2,
        "lowStock": False,
    }
    assert answer["movement"] == {
        "type": "ADJUSTMENT",
        "deltaOnHand": "3",
        "onHandAfter": "5",
        "reason": "delivery",
    }
    async with sessions() as session:
        movements = await session.scalar(
            select(func.count()).where(t.stock_movement.c.stock_id == stock_id)
        )
        on_hand = await session.scalar(select(t.stock.c.on_hand).where(t.stock.c.id == stock_id))
    assert movements == 2  # the seeded opening movement and this one, once
    assert on_hand == Decimal(5)
