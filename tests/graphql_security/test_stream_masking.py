"""Every streamed result of a subscription is masked, the error-free ones left as they are."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from graphql_schema.security import SecurityLimits, security_extensions
from tests.graphql_security.shapes import LEAKY_MESSAGE, Caller, Mutation, Query


@strawberry.type
class Tick:
    n: int

    @strawberry.field
    def fragile(self) -> int:
        if self.n == 1:
            raise RuntimeError(LEAKY_MESSAGE)
        return self.n


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[Tick, None]:
        for n in range(3):
            yield Tick(n=n)

    @strawberry.subscription
    async def broken(self) -> AsyncGenerator[Tick, None]:
        yield Tick(n=0)
        raise RuntimeError(LEAKY_MESSAGE)


async def events(query: str) -> list[Any]:
    extensions = security_extensions(
        SecurityLimits(), production=True, caller_key=lambda caller: caller.key
    )
    schema = strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions
    )
    stream = await schema.subscribe(query, context_value=Caller("c"))
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    return [event async for event in stream]


MASKED = {"message": "Unexpected error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}


async def test_a_field_error_in_one_event_is_masked_and_the_others_are_untouched() -> None:
    received = await events("subscription { ticks { n fragile } }")

    assert [e.data for e in received] == [
        {"ticks": {"n": 0, "fragile": 0}},
        None,
        {"ticks": {"n": 2, "fragile": 2}},
    ]
    assert [e.errors for e in received][::2] == [None, None]
    assert [
        {k: v for k, v in error.formatted.items() if k in MASKED}
        for error in received[1].errors or ()
    ] == [MASKED]


async def test_an_exception_of_the_source_stream_is_masked() -> None:
    received = await events("subscription { broken { n } }")

    assert received[0].data == {"broken": {"n": 0}}
    assert [error.formatted for error in received[1].errors or ()] == [MASKED]
    assert LEAKY_MESSAGE not in repr(received[1].errors[0].formatted)
