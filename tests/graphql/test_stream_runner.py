"""Streamed results through the schema's runner are what Strawberry's own runner gives.

The runner finds once per operation which extensions contribute results and hook
`on_stream_result` (graphql_schema/stream_runner.py); each result must still be masked,
logged, extended and hooked exactly as before, and per-operation hooks run once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from app import metrics
from app.settings import Settings
from graphql_schema.app import default_extensions
from graphql_schema.schema import Extension, InventorySchema, build_schema
from graphql_schema.security.masking import MASKED_MESSAGE
from graphql_schema.stream_runner import StreamingExtensionsRunner
from graphql_schema.transport import SubscriptionsOverWebsocket


@dataclass
class Calls:
    operation: int = 0
    execute: int = 0
    stream_results: list[bool] = field(default_factory=list)
    get_results: int = 0


CALLS = Calls()


class Counting(SchemaExtension):
    """Counts its hooks and adds one entry to every result's extensions."""

    def on_operation(self) -> Iterator[None]:
        CALLS.operation += 1
        yield

    def on_execute(self) -> Iterator[None]:
        CALLS.execute += 1
        yield

    async def on_stream_result(self, result: StreamExecutionResult) -> AsyncIterator[None]:
        CALLS.stream_results.append(bool(getattr(result, "errors", None)))
        yield

    async def get_results(self) -> dict[str, Any]:
        CALLS.get_results += 1
        return {"seen": CALLS.get_results}


@strawberry.type
class Event:
    number: int

    @strawberry.field
    def checked(self) -> int:
        if self.number == 2:
            raise RuntimeError("SELECT secret FROM stock")  # a bug: masked
        if self.number == 3:
            raise GraphQLError("not yours", extensions={"code": "FORBIDDEN"})  # shown
        return self.number


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self) -> AsyncGenerator[Event, None]:
        for number in (1, 2, 3, 4):
            yield Event(number=number)


DOCUMENT = "subscription { events { number checked } }"


def extensions(counting: bool) -> list[Extension]:
    """The app's extensions (whose only stream hook is the masking's), and `Counting`."""
    settings = Settings(
        database_url="postgresql://unused", data_dir=Path("."), graphql_fast_subscriptions=True
    )
    return [
        SubscriptionsOverWebsocket,
        metrics.GraphQLOperationMetrics,
        *default_extensions(settings, redis=None),
        *([Counting] if counting else []),
    ]


def schemas(counting: bool = True) -> tuple[strawberry.Schema, strawberry.Schema]:
    settings = Settings(
        database_url="postgresql://unused", data_dir=Path("."), graphql_fast_subscriptions=True
    )
    ours = build_schema(settings, extensions=extensions(counting), subscription=Subscription)
    # Strawberry's own runner, every other part the same.
    theirs = build_schema(settings, extensions=extensions(counting), subscription=Subscription)
    theirs.create_extensions_runner = (  # type: ignore[method-assign]
        strawberry.Schema.create_extensions_runner.__get__(theirs)
    )
    return ours, theirs


async def streamed(schema: strawberry.Schema) -> list[dict[str, Any]]:
    stream = await schema.subscribe(DOCUMENT)
    assert not isinstance(stream, ExecutionResult)
    sent = []
    async for result in stream:
        assert isinstance(result, ExecutionResult)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            payload["extensions"] = result.extensions
        sent.append(payload)
    return sent


async def test_the_schema_runs_the_streaming_runner() -> None:
    ours, _ = schemas()
    assert isinstance(ours, InventorySchema)
    stream = await ours.subscribe(DOCUMENT)
    assert not isinstance(stream, ExecutionResult)
    await stream.aclose()
    runner = ours.create_extensions_runner(None, [])  # type: ignore[arg-type]
    assert isinstance(runner, StreamingExtensionsRunner)


@pytest.mark.parametrize("counting", [False, True], ids=["app-extensions", "with-counting"])
async def test_streamed_results_and_hooks_are_strawberrys(
    caplog: pytest.LogCaptureFixture, counting: bool
) -> None:
    ours, theirs = schemas(counting)
    observed: list[tuple[Any, ...]] = []
    for schema in (theirs, ours):
        global CALLS
        CALLS = Calls()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            sent = await streamed(schema)
        logged = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
        observed.append((json.dumps(sent, sort_keys=True), CALLS, logged))
    assert observed[0] == observed[1]

    sent_text, calls, logged = observed[1]
    sent = json.loads(sent_text)
    # Error-free results: the data and the extensions' contributions, nothing else.
    first = {"data": {"events": {"number": 1, "checked": 1}}}
    assert sent[0] == ({**first, "extensions": {"seen": 1}} if counting else first)
    assert sent[3]["data"] == {"events": {"number": 4, "checked": 4}}
    assert "errors" not in sent[3]
    # An unexpected error is masked for the client, and logged with its text for operators.
    assert [e["message"] for e in sent[1]["errors"]] == [MASKED_MESSAGE]
    assert sent[1]["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert any(level == "ERROR" and "SELECT secret" in text for _, level, text in logged)
    # A coded client error is shown as is and logged at INFO only.
    assert [e["message"] for e in sent[2]["errors"]] == ["not yours"]
    assert ("graphql_schema.schema", "INFO", "graphql request refused: not yours") in logged
    if not counting:
        return
    # Per-operation hooks once; per-result hooks and results once per result.
    assert (calls.operation, calls.execute, calls.get_results) == (1, 1, 4)
    assert calls.stream_results == [False, True, True, False]


async def test_a_subscriber_leaving_mid_stream_closes_it_quietly() -> None:
    ours, _ = schemas(counting=False)
    stream = await ours.subscribe(DOCUMENT)
    assert not isinstance(stream, ExecutionResult)
    first = await stream.__anext__()
    assert isinstance(first, ExecutionResult)
    assert first.data == {"events": {"number": 1, "checked": 1}}
    await stream.aclose()  # GeneratorExit goes through the masking's hook, as in Strawberry
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
