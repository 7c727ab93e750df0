"""Subscribers sharing an event's execution: the later ones get the first one's result
without an executor of their own (graphql_schema/subscriptions/shared.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from graphql.execution import Executor
from strawberry.extensions import ParserCache
from strawberry.types import ExecutionResult

from graphql_schema.execution import BatchedListExecutor
from graphql_schema.subscriptions.shared import (
    STATS,
    share_results,
    with_shared_subscription_events,
)


@strawberry.type
class Tick:
    number: int


TICKS: list[Tick] = []


@strawberry.type
class Query:
    @strawberry.field
    def nothing(self) -> int:
        return 0


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[Tick, None]:
        for tick in TICKS:
            yield tick


async def test_later_subscribers_get_the_result_without_a_copy_of_the_executor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schema = strawberry.Schema(
        query=Query,
        subscription=Subscription,
        execution_context_class=with_shared_subscription_events(BatchedListExecutor),
        # As the app's: one parsed document for all (the sharing key holds its operation).
        extensions=[ParserCache],
    )
    TICKS[:] = [share_results(Tick(number=n)) for n in (1, 2, 3)]
    copies = 0
    build = Executor.build_per_event_executor

    def counted(self: Executor[Any], payload: Any) -> Executor[Any]:
        nonlocal copies
        copies += 1
        return build(self, payload)

    monkeypatch.setattr(Executor, "build_per_event_executor", counted)
    executed, shared = STATS.executed, STATS.shared
    received: list[list[ExecutionResult]] = []
    for _ in range(4):
        stream = await schema.subscribe("subscription { ticks { number } }")
        assert not isinstance(stream, ExecutionResult)
        received.append([result async for result in stream])

    assert [[r.data for r in results] for results in received] == [
        [{"ticks": {"number": n}} for n in (1, 2, 3)]
    ] * 4
    assert (STATS.executed - executed, STATS.shared - shared) == (3, 9)
    assert copies == 3  # one executor per event, for the subscriber that executed it
    # Each subscriber's result is its own object (its layers may set errors, extensions).
    assert len({id(results[0]) for results in received}) == 4
