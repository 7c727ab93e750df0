"""One execution per event for subscribers that asked the same thing.

The ten POS terminals of a location send the same subscription document with the
same variables, and the hub hands each of them the same event; graphql-core would
still complete every field of the result ten times (most of the cost of a delivery).
Subscription resolvers mark the value they yield with `share_results`; the executor
mixin then executes each (operation, variables) once per yielded value and gives the
other subscribers that result. What they share is decided by the document only:
every subscriber of a channel is of the same merchant, and subscription types have
no per-caller rules below the root field (whose permission is checked at subscribe).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from graphql import ExecutionResult

T = TypeVar("T")

_RESULTS = "_shared_results"


@dataclass
class SharingStats:
    executed: int = 0
    shared: int = 0


STATS = SharingStats()


def share_results(payload: T) -> T:
    """Let subscribers with the same operation share the execution of `payload`."""
    if not hasattr(payload, _RESULTS):
        setattr(payload, _RESULTS, {})
    return payload


class SharedSubscriptionEvents:
    """A mixin for graphql-core's Executor (Strawberry's execution context class)."""

    root_value: Any
    operation: Any
    variable_values: Any
    schema: Any
    # What the subscription's events are shared by: computed once per subscription (on
    # the executor that each event's executor is copied from), not once per event.
    _share_key: Hashable | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        if self._share_key is None:
            self._share_key = self._key()
        results: dict[Hashable, Any] | None = getattr(payload, _RESULTS, None)
        found = None if results is None else results.get(self._share_key)
        if found is not None:
            # Another subscriber executed this event already: a copy of the executor
            # (graphql-core's shallow copy) would only look its result up.
            return _SharedEvent(found)
        executor = cast(Any, super()).build_per_event_executor(payload)
        # graphql-core's copy shares the subscription's memo of collected subfields,
        # keyed by the identity of each event's (new) field lists and keeping them
        # alive: ~3 KB more per event executed, for as long as the subscription lives.
        # Each event gets its own memo (lists within one event still share it).
        if isinstance(getattr(executor, "_relevant_sub_fields", None), dict):
            executor._relevant_sub_fields = {}
        return executor

    def _key(self) -> Hashable:
        return (id(self.schema), id(self.operation), _variables_key(self.variable_values))

    def execute_operation(self, serially: bool | None = None) -> Any:
        results: dict[Hashable, Any] | None = getattr(self.root_value, _RESULTS, None)
        parent = cast(Any, super())
        if results is None:
            return parent.execute_operation(serially)
        key = self._share_key if self._share_key is not None else self._key()
        found = results.get(key)
        if found is not None:
            STATS.shared += 1
            return _copy(found) if isinstance(found, ExecutionResult) else _awaited(found)
        STATS.executed += 1
        result = parent.execute_operation(serially)
        if isinstance(result, ExecutionResult):
            if not result.errors:
                results[key] = result
            return result
        task = asyncio.ensure_future(cast(Awaitable[ExecutionResult], result))
        results[key] = task
        return _awaited(task)


class _SharedEvent:
    """The per-event executor of a subscriber whose event was executed for another:
    graphql-core's `execute_subscription_event` asks it for `execute_operation` only."""

    __slots__ = ("_found",)

    def __init__(self, found: ExecutionResult | asyncio.Future[ExecutionResult]) -> None:
        self._found = found

    def execute_operation(self, serially: bool | None = None) -> Any:
        STATS.shared += 1
        found = self._found
        return _copy(found) if isinstance(found, ExecutionResult) else _awaited(found)


def _variables_key(variables: Any) -> str:
    coerced = getattr(variables, "coerced", variables) or {}
    return json.dumps(coerced, sort_keys=True, default=str)


def _copy(result: ExecutionResult) -> ExecutionResult:
    # Each subscriber's layers may touch errors and extensions: give them their own lists.
    return ExecutionResult(
        data=result.data,
        errors=list(result.errors) if result.errors else None,
        extensions=dict(result.extensions) if result.extensions else None,
    )


async def _awaited(task: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    return _copy(await asyncio.shield(task))


def with_shared_subscription_events(base: type[T]) -> type[T]:
    """`base` (an execution context class) with subscription results shared."""
    if issubclass(base, SharedSubscriptionEvents):
        return base
    name = f"Shared{base.__name__}"
    return cast(type[T], type(name, (SharedSubscriptionEvents, base), {}))
