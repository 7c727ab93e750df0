"""Subscription events completed in one pass answer what graphql-core answers.

Each event of a subscription executes the same selection on a new object; the fast
executor compiles it once per subscription and completes each event's object directly,
and gives graphql-core any event it cannot be sure of (see graphql_schema/execution.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncGenerator
from typing import Any

import pytest
import strawberry
from graphql import parse

from graphql_schema import execution
from graphql_schema.execution import BatchedListExecutor, returns_its_event
from tests.graphql.test_fast_lists import SCALARS, SPOILED, THINGS, Thing, answer, thing

EVENT = THINGS.replace("{ things {", "subscription { thing {", 1)


def schema_streaming(things: list[Any], executor: type[Any] | None) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def nothing(self) -> int:
            return 0

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def thing(self) -> AsyncGenerator[Thing, None]:
            for one in things:
                yield one

    if executor is None:
        return strawberry.Schema(query=Query, subscription=Subscription, scalar_overrides=SCALARS)
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        execution_context_class=executor,
        scalar_overrides=SCALARS,
    )


async def events(schema: strawberry.Schema, document: str) -> list[str]:
    stream = await schema.subscribe(document)
    assert not isinstance(stream, strawberry.types.ExecutionResult)
    return [answer(result) async for result in stream]


@pytest.mark.parametrize("spoiled", list(SPOILED), ids=list(SPOILED))
async def test_a_spoiled_event_gets_graphql_cores_answer(spoiled: str) -> None:
    things = [thing(1), thing(2, **SPOILED[spoiled]), thing(3)]

    fast = await events(schema_streaming(things, BatchedListExecutor), EVENT)
    generic = await events(schema_streaming(things, None), EVENT)

    assert fast == generic
    assert len(fast) == 3


async def test_each_event_is_completed_in_one_pass_compiled_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fields = compiles = 0
    execute_field = BatchedListExecutor.execute_field
    plan_list = execution.plan_list

    def counted_field(self: BatchedListExecutor, *args: Any) -> Any:
        nonlocal fields
        fields += 1
        return execute_field(self, *args)

    def counted_plan(*args: Any) -> Any:
        nonlocal compiles
        compiles += 1
        return plan_list(*args)

    monkeypatch.setattr(BatchedListExecutor, "execute_field", counted_field)
    monkeypatch.setattr(execution, "plan_list", counted_plan)
    document = "subscription { thing { name size tag { name } mark { __typename } } }"

    found = await events(
        schema_streaming([thing(i) for i in range(5)], BatchedListExecutor), document
    )

    assert len(found) == 5
    assert fields == 0  # the root field answers the event: no field through graphql-core
    assert compiles == 1


async def test_variables_and_directives_are_the_subscriptions_own() -> None:
    document = """subscription($shown: Boolean!) { thing {
      name @include(if: $shown) size @skip(if: $shown) tag @include(if: $shown) { name } } }"""
    things = [thing(1), thing(2)]
    found: dict[bool, list[str]] = {}
    for shown in (True, False):
        fast_schema = schema_streaming(things, BatchedListExecutor)
        stream = await fast_schema.subscribe(document, variable_values={"shown": shown})
        assert not isinstance(stream, strawberry.types.ExecutionResult)
        found[shown] = [answer(r) async for r in stream]
        generic = await schema_streaming(things, None).subscribe(
            document, variable_values={"shown": shown}
        )
        assert not isinstance(generic, strawberry.types.ExecutionResult)
        assert found[shown] == [answer(r) async for r in generic]

    assert '"name": "thing 1"' in found[True][0]
    assert '"size": 1' in found[False][0]


async def test_an_aliased_root_field_with_arguments_in_a_fragment_answers_as_graphql_core() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def nothing(self) -> int:
            return 0

    @strawberry.type
    class Subscription:
        @strawberry.subscription
        async def thing(self, size: int, label: str = "x") -> AsyncGenerator[Thing, None]:
            for i in range(3):
                yield thing(size + i, name=label)

    document = """subscription($size: Int!) { ...Root }
      fragment Root on Subscription { renamed: thing(size: $size, label: "y") { name size } }"""
    answers = []
    for executor in (BatchedListExecutor, None):
        kwargs = {} if executor is None else {"execution_context_class": executor}
        schema = strawberry.Schema(
            query=Query, subscription=Subscription, scalar_overrides=SCALARS, **kwargs
        )
        stream = await schema.subscribe(document, variable_values={"size": 7})
        assert not isinstance(stream, strawberry.types.ExecutionResult)
        answers.append([answer(result) async for result in stream])

    assert answers[0] == answers[1]
    assert answers[0][2] == json.dumps(
        {"data": {"renamed": {"name": "y", "size": 9}}, "errors": []}
    )


async def test_a_null_event_for_a_non_null_field_gets_graphql_cores_error() -> None:
    things: list[Any] = [thing(1), None, thing(3)]

    fast = await events(schema_streaming(things, BatchedListExecutor), EVENT)
    generic = await events(schema_streaming(things, None), EVENT)

    assert fast == generic
    assert '"data": null' in fast[1]


def test_strawberrys_subscription_fields_return_their_event() -> None:
    # The fast pass answers an event without calling the field's resolver: it must be
    # Strawberry's, which returns the event as it is.
    graphql_schema = schema_streaming([], BatchedListExecutor)._schema
    subscription = graphql_schema.subscription_type
    assert subscription is not None
    field = subscription.fields["thing"]
    event = object()

    assert returns_its_event(field)
    assert field.resolve is not None
    assert field.resolve(event, None) is event
    assert not returns_its_event(graphql_schema.query_type.fields["nothing"])  # type: ignore[union-attr]


def test_an_executors_copy_is_copy_copys() -> None:
    stream_schema = schema_streaming([], BatchedListExecutor)
    executor = BatchedListExecutor.build(
        stream_schema._schema, parse(EVENT), root_value={"root": 1}
    )

    duplicate = copy.copy(executor)
    # What copy.copy makes of an executor without the class's __copy__ (no __slots__ state).
    standard = copy._reconstruct(executor, None, *executor.__reduce_ex__(4))  # type: ignore[attr-defined]

    assert type(duplicate) is type(standard) is BatchedListExecutor
    assert vars(duplicate) == vars(standard) == vars(executor)
    assert vars(duplicate) is not vars(executor)
