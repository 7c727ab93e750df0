"""The executor: graphql-core's, with lists (and subscription events) completed by plan.

`BatchedListExecutor.complete_list_value` runs the list's plan (list_plan/: each field
resolved once for the whole list, dataloader fields as one batched call, then the rows
written), planned once per list field of the operation; a list the plan cannot answer
is graphql-core's, from the start. A subscription executes its selection once per event:
its event object is completed by the same plan, on a list of one.

Off (`GRAPHQL_FAST_EXECUTION=false`): the schema uses Strawberry's executor unchanged.
tests/graphql/test_fast_lists.py compares both on varied selections and spoiled values.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast

from graphql import (
    ExecutionResult,
    GraphQLField,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graphql_schema.list_plan import Complete, RequestBound, plan_list, running_on

__all__ = ["BatchedListExecutor", "returns_its_event"]

_EVENT_ROOT = "event root"
_NOT_PLANNED = object()

# Where Strawberry makes a subscription field's resolver for its events: it returns the
# event unchanged (tests/graphql/test_fast_subscriptions.py pins it).
STRAWBERRY_EVENT_RESOLVER = "GraphQLCoreConverter.from_field.<locals>.<lambda>"


class BatchedListExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing lists by plan (see graphql_schema/list_plan/)."""

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        generic = partial(
            super().complete_list_value,
            return_type,
            field_details_list,
            info,
            path,
            result,
            position_context,
        )
        if type(result) is list or type(result) is tuple:
            plan = self._plan(field_details_list, return_type.of_type, path)
            if plan is not None:
                return self._planned(plan, list(result), _all, generic)
        return generic()

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        generic = partial(
            super().complete_object_value,
            return_type,
            field_details_list,
            info,
            path,
            result,
            position_context,
        )
        # A subscription executes its selection once per event (~10 fields through
        # graphql-core each time): its objects are completed by plan too, planned once
        # per subscription (see build_per_event_executor).
        if self.operation.operation is OperationType.SUBSCRIPTION:
            key = (return_type, *(id(details.node) for details in field_details_list))
            plan = self._event_plan(key, field_details_list, return_type, path)
            if plan is not None:
                return self._planned(plan, [result], _first, generic)
        return generic()

    def _planned(
        self,
        plan: Complete,
        values: list[Any],
        answer: Callable[[list[Any]], Any],
        generic: Callable[[], Any],
    ) -> Any:
        """`answer` of the plan's column, or graphql-core's answer (`generic`) from the
        start when the plan gives up, at once or once awaited."""
        try:
            with running_on(self):
                done = plan(values)
        except Exception:
            return generic()
        if isinstance(done, list):
            return answer(done)
        return self._awaited(done, answer, generic)

    async def _awaited(
        self,
        done: Awaitable[list[Any]],
        answer: Callable[[list[Any]], Any],
        generic: Callable[[], Any],
    ) -> Any:
        try:
            # Set in this coroutine: graphql-core may run it in a task of its own.
            with running_on(self):
                column = await done
            return answer(column)
        except Exception:
            pass
        result = generic()
        return await result if self.is_awaitable(result) else result

    def build_per_event_executor(self, payload: Any) -> Any:
        # The events' executors are shallow copies of this one: created here, the memo of
        # plans is theirs to share (the same document and variables; keyed by the
        # document's nodes, so it holds one entry per object selection, not per event).
        self.__dict__.setdefault("_event_plans", {})
        return super().build_per_event_executor(payload)

    def __copy__(self) -> BatchedListExecutor:
        # What copy.copy does for an object with a plain __dict__ (graphql-core copies the
        # executor for every event), without its __reduce_ex__ round: ~4x faster.
        duplicate = object.__new__(type(self))
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    def execute_operation(self, serially: bool | None = None) -> Any:
        # graphql-core executes a subscription operation only for an event (on the event's
        # executor, the event as root value); Strawberry's root field returns the event, so
        # the answer is the event's object completed under the field's response key. That
        # saves, per event, collecting the root fields, the field's resolve info, coercing
        # its arguments again and calling its resolver. Anything the plan does not answer
        # at once goes to graphql-core.
        if (
            self.operation.operation is OperationType.SUBSCRIPTION
            and self.abort_signal is None
            and self.hooks is None
        ):
            root = self._event_root()
            if root is not None:
                key, plan = root
                return self._planned(
                    plan,
                    [self.root_value],
                    lambda column: ExecutionResult({key: column[0]}, None),
                    partial(super().execute_operation, serially),
                )
        return super().execute_operation(serially)

    def _plan(
        self, details: FieldDetailsList, item_type: GraphQLOutputType, path: Path
    ) -> Complete | None:
        plans: dict[Any, tuple[Any, Complete | None]]
        plans = self.__dict__.setdefault("_list_plans", {})
        key = (item_type, id(details))
        found = plans.get(key)
        if found is None:
            # Like graphql-core's own memo: keep the list alive so its id is not reused.
            with running_on(self):
                found = plans[key] = (details, self._kept_plan(details, item_type, path))
        return found[1]

    def _kept_plan(
        self, details: FieldDetailsList, item_type: GraphQLOutputType, path: Path
    ) -> Complete | None:
        """The list's plan from the schema's plans of earlier requests (the same document,
        operation and variables), planned and kept on a miss; planned for this request
        alone when it cannot be kept."""
        key = _kept_key(self, details, item_type)
        if key is None:
            return plan_list(self, item_type, details, path)
        kept = self.schema.__dict__.get(_KEPT_PLANS)
        if kept is None:
            kept = self.schema.__dict__[_KEPT_PLANS] = KeptPlans()
        found = kept.get(key)
        if found is not None:
            return found[1]
        try:
            plan = plan_list(self, item_type, details, path, keep=True)
        except RequestBound:
            return plan_list(self, item_type, details, path)
        # The document's nodes are kept with it, so the ids in the key are not reused.
        kept.put(key, (self.operation, plan))
        return plan

    def _event_plan(
        self, key: Any, details: FieldDetailsList, item_type: GraphQLOutputType, path: Path
    ) -> Complete | None:
        # Keyed by the document's field nodes: each event collects its fields anew.
        plans: dict[Any, tuple[Any, Complete | None]]
        plans = self.__dict__.setdefault("_event_plans", {})
        found = plans.get(key)
        if found is None:
            with running_on(self):
                found = plans[key] = (
                    [d.node for d in details],
                    plan_list(self, item_type, details, path),
                )
        return found[1]

    def _event_root(self) -> tuple[str, Complete] | None:
        plans: dict[Any, Any] = self.__dict__.setdefault("_event_plans", {})
        found = plans.get(_EVENT_ROOT, _NOT_PLANNED)
        if found is _NOT_PLANNED:
            with running_on(self):
                found = plans[_EVENT_ROOT] = self._plan_event_root()
        return cast(tuple[str, Complete] | None, found)

    def _plan_event_root(self) -> tuple[str, Complete] | None:
        schema = self.schema
        root_type = schema.subscription_type
        if root_type is None:
            return None
        try:
            grouped, new_defer_usages, _ = collect_fields(
                schema,
                self.fragments,
                self.variable_values,
                root_type,
                self.operation,
                self.hide_suggestions,
            )
        except Exception:
            return None
        if new_defer_usages or len(grouped) != 1:
            return None
        ((key, details),) = grouped.items()
        first = details[0]
        field_def = schema.get_field(root_type, first.node.name.value)
        if field_def is None or not returns_its_event(field_def):
            return None
        if field_def.args or first.node.arguments:
            # Coerced at subscribe already; graphql-core would again for each event.
            try:
                get_argument_values(
                    field_def,
                    first.node,
                    self.variable_values,
                    first.fragment_variable_values,
                    self.hide_suggestions,
                )
            except Exception:
                return None
        plan = plan_list(self, field_def.type, details, Path(None, key, root_type.name))
        return None if plan is None else (key, plan)


class KeptPlans:
    """The plans kept for later requests, least recently used dropped past MAX_KEPT_PLANS."""

    def __init__(self) -> None:
        self._plans: OrderedDict[Any, tuple[Any, Complete | None]] = OrderedDict()

    def get(self, key: Any) -> tuple[Any, Complete | None] | None:
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
        return found

    def put(self, key: Any, entry: tuple[Any, Complete | None]) -> None:
        self._plans[key] = entry
        if len(self._plans) > MAX_KEPT_PLANS:
            self._plans.popitem(last=False)


# Where a schema keeps its plans (an attribute of the GraphQLSchema, so they go with it:
# kept plans refer to their schema). A page's plan is kept for the next request of the
# same operation (planning it cost ~0.1-0.2 ms a request: collecting fields, coercing and
# converting arguments).
_KEPT_PLANS = "_inventory_kept_list_plans"
MAX_KEPT_PLANS = 512


def _kept_key(executor: Any, details: FieldDetailsList, item_type: Any) -> Any:
    """What a kept plan of this list depends on: the document's nodes (a parsed document
    is reused for the same text, see the parser cache), the list's item type and the
    operation's variables (their values, and which were given); None when the variables
    cannot be a key or fragments take arguments."""
    values = executor.variable_values
    variables = _frozen(values.coerced)
    if variables is None or any(d.fragment_variable_values is not None for d in details):
        return None
    given = tuple(
        sorted((name, source.value is Undefined) for name, source in values.sources.items())
    )
    nodes = tuple(id(d.node) for d in details)
    return (id(executor.operation), nodes, str(item_type), variables, given)


def _frozen(value: dict[str, Any]) -> Any:
    """A hashable equal of coerced variable values (dicts and lists as tuples), or None."""
    try:
        return _frozen_value(value)
    except _Unfrozen:
        return None


class _Unfrozen(Exception):
    pass


def _frozen_value(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _frozen_value(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("list", tuple(_frozen_value(v) for v in value))
    if isinstance(value, str | int | bool | enum.Enum | uuid.UUID) or value is None:
        return (type(value), value)
    if isinstance(value, float | decimal.Decimal | datetime.datetime | datetime.date):
        # Equal values that a resolver may still tell apart (1.0 and 1.00, the same moment
        # in two time zones) are different keys: the kept plan holds the values it got.
        return (type(value), repr(value))
    raise _Unfrozen


def returns_its_event(field: GraphQLField) -> bool:
    """A Strawberry subscription field, whose resolver returns each event as it is."""
    resolve = field.resolve
    return (
        field.subscribe is not None
        and resolve is not None
        and getattr(resolve, "__qualname__", None) == STRAWBERRY_EVENT_RESOLVER
        and getattr(resolve, "__module__", None) == "strawberry.schema.schema_converter"
    )


def _all(column: list[Any]) -> list[Any]:
    return column


def _first(column: list[Any]) -> Any:
    return column[0]
