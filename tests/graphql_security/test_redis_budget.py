"""Budgets in Redis: shared by app instances, atomic under concurrency, and a fallback."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from app.embedded import free_port
from graphql_schema.security import SecurityLimits
from graphql_schema.security.redis_budget import SharedBuckets
from tests.fakes.clock import FakeClock
from tests.graphql_security.shapes import Caller, build, codes

PAGE_OF_50 = "{ stocks { nodes { id } } }"  # costs 52
SMALL = SecurityLimits(budget_points=100, refill_per_second=10)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def caller() -> Caller:
    return Caller(f"merchant:{uuid.uuid4()}")


async def test_two_instances_share_one_callers_budget(redis: Redis) -> None:
    clock = FakeClock()
    one = build(limits=SMALL, redis=redis, clock=clock)
    two = build(limits=SMALL, redis=redis, clock=clock)
    alice = caller()

    first = await one.execute(PAGE_OF_50, context_value=alice)
    second = await two.execute(PAGE_OF_50, context_value=alice)

    assert first.errors is None
    assert codes(second) == ["THROTTLED"]
    assert second.data is None
    assert second.extensions == {
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


async def test_the_shared_budget_refills_over_time(redis: Redis) -> None:
    clock = FakeClock()
    schema = build(limits=SMALL, redis=redis, clock=clock)
    alice = caller()
    await schema.execute(PAGE_OF_50, context_value=alice)

    clock.advance(0.35)  # 48 + 3.5 = 51.5 < 52
    early = await schema.execute(PAGE_OF_50, context_value=alice)
    clock.advance(0.05)  # 52
    later = await schema.execute(PAGE_OF_50, context_value=alice)

    assert codes(early) == ["THROTTLED"]
    assert later.errors is None
    assert later.extensions is not None
    assert later.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 0


async def test_concurrent_charges_never_spend_more_than_the_budget(redis: Redis) -> None:
    buckets = SharedBuckets(redis, 2000, 100, clock=FakeClock())
    key = str(uuid.uuid4())

    charges = await asyncio.gather(*(buckets.charge(key, 30) for _ in range(100)))

    assert sum(c.granted for c in charges) == 2000 // 30
    assert min(c.status.currently_available for c in charges) == 2000 - 30 * (2000 // 30)


async def test_a_bucket_expires_once_it_would_be_full_again(redis: Redis) -> None:
    buckets = SharedBuckets(redis, 100, 50, clock=time.time, prefix="test:graphql-cost:")
    key = str(uuid.uuid4())

    await buckets.charge(key, 100)

    ttl = await redis.pttl(f"test:graphql-cost:{key}")
    assert 2000 < ttl <= 3000  # 2 s to refill 100 at 50/s, plus a second


async def test_without_redis_charging_falls_back_to_this_process() -> None:
    unreachable = Redis(port=free_port(), socket_connect_timeout=0.1, retry=Retry(NoBackoff(), 0))
    schema = build(limits=SMALL, redis=unreachable, clock=FakeClock())
    alice = caller()
    try:
        first = await schema.execute(PAGE_OF_50, context_value=alice)
        second = await schema.execute(PAGE_OF_50, context_value=alice)
    finally:
        await unreachable.aclose()

    assert first.errors is None
    assert codes(second) == ["THROTTLED"]


async def test_the_unspent_part_of_the_estimate_is_refunded_in_redis(redis: Redis) -> None:
    clock = FakeClock()
    one = build(redis=redis, clock=clock)
    two = build(redis=redis, clock=clock)
    alice = caller()
    # Locations of the test schema hold 3 stocks: 203 estimated, 9 actual.
    page = '{ location(id: "l1") { stocks(first: 100) { nodes { id location { id } } } } }'

    served = await one.execute(page, context_value=alice)
    after = await two.execute("{ hello }", context_value=alice)

    assert served.extensions is not None
    assert served.extensions["cost"]["actualQueryCost"] == 9
    assert served.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 1991
    assert after.extensions is not None
    assert after.extensions["cost"]["throttleStatus"]["currentlyAvailable"] == 1991
