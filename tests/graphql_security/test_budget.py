"""The per-caller budget: charged before execution, drained, refilled over time, reported."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from graphql_schema.security import SecurityLimits
from graphql_schema.security.budget import TokenBuckets
from tests.fakes.clock import FakeClock
from tests.graphql_security.shapes import Caller, build, codes

PAGE_OF_50 = "{ stocks { nodes { id } } }"  # 50 x 1 + 2
ADJUST = 'mutation { stockAdjust(input: {stockId: "s1", delta: "1"}) { userErrors { code } } }'


def small_budget() -> SecurityLimits:
    return SecurityLimits(budget_points=100, refill_per_second=10)


async def test_a_query_reports_its_cost_and_the_callers_budget() -> None:
    schema = build(clock=FakeClock(0))

    result = await schema.execute(
        "{ stocks(first: 10) { nodes { id } } }", context_value=Caller("a")
    )

    assert result.errors is None
    assert result.extensions == {
        "cost": {
            "requestedQueryCost": 12,
            "actualQueryCost": 12,
            "throttleStatus": {
                "maximumAvailable": 2000,
                "currentlyAvailable": 1988,
                "restoreRate": 100,
            },
        }
    }


async def test_the_budget_drains_then_refuses_then_refills_over_time() -> None:
    clock = FakeClock(0)
    schema = build(limits=small_budget(), clock=clock)
    caller = Caller("a")

    first = await schema.execute(PAGE_OF_50, context_value=caller)
    second = await schema.execute(PAGE_OF_50, context_value=caller)
    clock.advance(0.3)  # 48 + 3 = 51 < 52
    still = await schema.execute(PAGE_OF_50, context_value=caller)
    clock.advance(0.1)  # 52
    third = await schema.execute(PAGE_OF_50, context_value=caller)

    assert first.errors is None
    assert codes(second) == ["THROTTLED"]
    assert codes(still) == ["THROTTLED"]
    assert third.errors is None
    assert third.extensions is not None
    assert third.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 0


async def test_a_throttled_response_has_no_data_and_says_what_is_left() -> None:
    clock = FakeClock(0)
    schema = build(limits=small_budget(), clock=clock)
    await schema.execute(PAGE_OF_50, context_value=Caller("a"))

    result = await schema.execute(PAGE_OF_50, context_value=Caller("a"))

    assert result.data is None
    assert [e.formatted for e in result.errors or ()] == [
        {
            "message": "Throttled: the query costs 52 points and 48 are available;"
            " the budget refills by 10 per second.",
            "extensions": {"code": "THROTTLED"},
        }
    ]
    assert result.extensions == {
        "cost": {
            "requestedQueryCost": 52,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 100,
                "currentlyAvailable": 48,
                "restoreRate": 10,
            },
        }
    }


async def test_a_refused_mutation_does_not_run() -> None:
    schema = build(limits=SecurityLimits(budget_points=15, refill_per_second=1), clock=FakeClock(0))
    caller = Caller("a")

    done = await schema.execute(ADJUST, context_value=caller)
    refused = await schema.execute(ADJUST, context_value=caller)

    assert done.data == {"stockAdjust": {"userErrors": []}}
    assert refused.data is None
    assert caller.calls == ["stockAdjust"]


async def test_refilling_stops_at_the_full_budget() -> None:
    clock = FakeClock(0)
    schema = build(limits=small_budget(), clock=clock)
    await schema.execute(PAGE_OF_50, context_value=Caller("a"))
    clock.advance(3600)

    result = await schema.execute("{ hello }", context_value=Caller("a"))

    assert result.extensions is not None
    assert result.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 100


async def test_each_caller_has_its_own_budget() -> None:
    schema = build(limits=small_budget(), clock=FakeClock(0))
    await schema.execute(PAGE_OF_50, context_value=Caller("merchant-1:alice"))

    other = await schema.execute(PAGE_OF_50, context_value=Caller("merchant-2:alice"))
    same = await schema.execute(PAGE_OF_50, context_value=Caller("merchant-1:alice"))

    assert other.errors is None
    assert codes(same) == ["THROTTLED"]


async def test_a_query_costing_more_than_a_full_budget_is_too_complex_and_charges_nothing() -> None:
    schema = build(clock=FakeClock(0))
    query = "{ stocks(first: 250) { nodes { movements(first: 250) { nodes { id } } } } }"

    result = await schema.execute(query, context_value=Caller("a"))

    assert result.data is None
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert result.extensions is not None
    assert result.extensions["cost"]["requestedQueryCost"] == 250 * (1 + 250 + 2) + 2
    assert result.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 2000


async def test_a_caller_key_error_of_the_schema_reaches_the_client_as_is() -> None:
    def no_principal(_: Any) -> str:
        raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})

    schema = build(caller_key=no_principal)

    result = await schema.execute("{ hello }", context_value=Caller("a"))

    assert result.data is None
    assert [e.formatted for e in result.errors or ()] == [
        {"message": "authentication required", "extensions": {"code": "UNAUTHENTICATED"}}
    ]


def test_full_buckets_are_forgotten_once_there_are_too_many_callers() -> None:
    clock = FakeClock(0)
    buckets = TokenBuckets(100, 10, clock=clock, max_callers=3)
    for caller in ("a", "b", "c"):
        buckets.charge(caller, 100)
    clock.advance(10)  # a, b and c are full again
    buckets.charge("d", 1)

    charge = buckets.charge("e", 1)

    assert charge.granted
    assert len(buckets) == 2
