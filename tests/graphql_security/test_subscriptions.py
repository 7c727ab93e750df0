"""Subscriptions pass through the same extensions: limited by the rules, not charged."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from graphql_schema.security import SecurityLimits, security_extensions
from tests.graphql_security.shapes import Caller, Mutation, Query, Stock, codes


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def stock_changed(self) -> AsyncGenerator[Stock, None]:
        for i in range(2):
            yield Stock(id=strawberry.ID(f"s{i}"))


def schema() -> strawberry.Schema:
    extensions = security_extensions(
        SecurityLimits(max_depth=3), production=True, caller_key=lambda caller: caller.key
    )
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )


async def events(query: str) -> list[Any]:
    stream = await schema().subscribe(query, context_value=Caller("c"))
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    return [event async for event in stream]


async def test_a_subscription_streams_without_a_cost_report() -> None:
    received = await events("subscription { stockChanged { id location { id } } }")

    assert [e.data for e in received] == [
        {"stockChanged": {"id": "s0", "location": {"id": "l1"}}},
        {"stockChanged": {"id": "s1", "location": {"id": "l1"}}},
    ]
    assert [e.extensions for e in received] == [{}, {}]


async def test_a_subscription_too_deep_is_refused() -> None:
    received = await events("subscription { stockChanged { location { mainStock { id } } } }")

    assert [codes(e) for e in received] == [["MAX_DEPTH_EXCEEDED"]]
