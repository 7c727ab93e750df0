"""A list's plan is kept for later requests of the same operation and variables
(execution.py KeptPlans): each request still runs it with its own context (its own
merchant, loaders and infos), and other variables get a plan of their own."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import graphql_schema.execution as execution
from app.domain.enums import ItemType
from graphql_schema.ids import global_id
from tests.graphql import seed
from tests.graphql.conftest import MERCHANT_A, MERCHANT_B, Gql

# Batched fields (stocks), resolvers given the info (location, item, incoming), a union.
MATERIALS = """query($l: ID) { materials(first: 10) { nodes { name
  stocks(locationId: $l) { onHand location { name } } } } }"""
STOCKS = """query { stocks(first: 10) { nodes { onHand incoming
  item { __typename ... on Material { name } } location { name } } } }"""


async def _shop(
    sessions: async_sessionmaker[AsyncSession], merchant: uuid.UUID, prefix: str
) -> dict[str, Any]:
    bar = await seed.location(sessions, merchant, f"{prefix} bar")
    store = await seed.location(sessions, merchant, f"{prefix} store")
    milk = await seed.material(sessions, merchant, f"{prefix} milk")
    await seed.stock(sessions, merchant, bar, ItemType.MATERIAL, milk, "3")
    await seed.stock(sessions, merchant, store, ItemType.MATERIAL, milk, "7")
    return {"bar": global_id("Location", bar), "store": global_id("Location", store)}


def _counting_plans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    planned: list[int] = []
    plan_list = execution.plan_list

    def counted(*args: Any, **kwargs: Any) -> Any:
        planned.append(1)
        return plan_list(*args, **kwargs)

    monkeypatch.setattr(execution, "plan_list", counted)
    return planned


async def test_a_plan_is_kept_for_the_same_operation_and_planned_again_for_other_variables(
    gql: Gql, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not gql.settings.graphql_fast_execution:
        # .ci/run's pass with the fast paths off: graphql-core completes every list, so no
        # plan is made or kept; the answers are checked by the other tests here.
        pytest.skip("list plans are off (GRAPHQL_FAST_EXECUTION=false)")
    places = await _shop(sessions, MERCHANT_A, "A")
    planned = _counting_plans(monkeypatch)

    first = await gql.data(MATERIALS, {"l": places["bar"]})
    after_first = len(planned)
    again = await gql.data(MATERIALS, {"l": places["bar"]})
    other = await gql.data(MATERIALS, {"l": places["store"]})

    assert after_first > 0
    assert len(planned) > after_first  # the other location: planned anew
    assert again == first
    (node,) = first["materials"]["nodes"]
    assert node["stocks"] == [{"onHand": "3", "location": {"name": "A bar"}}]
    (node,) = other["materials"]["nodes"]
    assert node["stocks"] == [{"onHand": "7", "location": {"name": "A store"}}]
    planned.clear()
    await gql.data(MATERIALS, {"l": places["bar"]})
    assert planned == []  # kept: not planned again


@pytest.mark.parametrize("query", [MATERIALS, STOCKS])
async def test_a_kept_plan_runs_with_each_request_s_own_merchant(
    gql: Gql, sessions: async_sessionmaker[AsyncSession], query: str
) -> None:
    await _shop(sessions, MERCHANT_A, "A")
    await _shop(sessions, MERCHANT_B, "B")

    def names(data: dict[str, Any]) -> set[str]:
        found: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    if key == "name":
                        found.add(inner)
                    walk(inner)
            elif isinstance(value, list):
                for inner in value:
                    walk(inner)

        walk(data)
        return found

    expected = {
        MERCHANT_A: {"A milk", "A bar", "A store"},
        MERCHANT_B: {"B milk", "B bar", "B store"},
    }
    # One after the other, then at once (their awaits interleave on the loop).
    for merchant in (MERCHANT_A, MERCHANT_B, MERCHANT_A):
        assert names(await gql.data(query, merchant_id=merchant)) == expected[merchant]
    answers = await asyncio.gather(
        *(gql.data(query, merchant_id=m) for m in (MERCHANT_A, MERCHANT_B) * 4)
    )
    for merchant, data in zip((MERCHANT_A, MERCHANT_B) * 4, answers, strict=True):
        assert names(data) == expected[merchant]


def test_variables_that_cannot_be_a_key_are_not_kept() -> None:
    assert execution._frozen({"l": "x", "n": [1, {"a": Decimal("1.5")}]}) is not None
    assert execution._frozen({"l": "x"}) == execution._frozen({"l": "x"})
    assert execution._frozen({"n": 1}) != execution._frozen({"n": True})
    # Equal, but not the same value to a resolver: planned apart.
    assert execution._frozen({"q": Decimal("1.0")}) != execution._frozen({"q": Decimal("1")})
    assert execution._frozen({"o": object()}) is None
    assert execution._frozen({}) is not None
