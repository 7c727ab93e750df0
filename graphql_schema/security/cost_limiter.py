"""Charges each query's estimated cost to its caller's budget before executing it.

The cost is reported in `extensions.cost` as Shopify does; a query costing
more than a full budget is QUERY_TOO_COMPLEX, one costing more than is left
is THROTTLED, and either way nothing executes and `data` is null. After a
clean execution the actual cost (actual_cost.py) is what stays charged: the
rest of the estimate is refunded. A result with errors keeps the whole
estimate, so a query cannot fail on purpose to be served for free.
Subscriptions are not charged here (their cost is per event, not per request).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from graphql_schema.security.actual_cost import actual_cost
from graphql_schema.security.budget import Buckets, Charge, ThrottleStatus
from graphql_schema.security.cost import CostRules, operation_cost
from graphql_schema.security.errors import QUERY_TOO_COMPLEX, THROTTLED, refusal
from graphql_schema.security.redis_budget import SharedBuckets

log = logging.getLogger(__name__)

CallerKey = Callable[[Any], str]


class _CostLimiter(SchemaExtension):
    def __init__(self, *, rules: CostRules, capacity: int, caller_key: CallerKey) -> None:
        self._rules = rules
        self._capacity = capacity
        self._caller_key = caller_key
        self._report: dict[str, Any] | None = None

    def get_results(self) -> dict[str, Any]:
        return {"cost": self._report} if self._report is not None else {}

    def _price(self) -> tuple[str, int] | None:
        """The caller and the query's cost, or None when this request is not charged."""
        context = self.execution_context
        if context.graphql_document is None or context.result is not None:
            return None
        if context.operation_type is OperationType.SUBSCRIPTION:
            return None
        try:
            key = self._caller_key(context.context)
            cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                self._rules,
                context.operation_name,
                context.variables,
            )
        except GraphQLError as error:  # e.g. no principal: the schema's own coded error
            self._refuse(error)
            return None
        except Exception as exc:
            # Reported as the exception so MaskErrors hides its text and the schema logs it.
            self._refuse(GraphQLError(str(exc), original_error=exc))
            return None
        return key, cost

    def _settle(self, cost: int, charge: Charge) -> bool:
        """Reports the charge; refuses the query unless it was granted."""
        self._reported(cost, cost if charge.granted else None, charge.status)
        if cost > self._capacity:
            self._refuse(
                refusal(
                    f"Query cost {cost} exceeds the budget of {self._capacity} points"
                    " even when full; ask for fewer nodes or split the query.",
                    QUERY_TOO_COMPLEX,
                )
            )
        elif not charge.granted:
            self._refuse(
                refusal(
                    f"Throttled: the query costs {cost} points and"
                    f" {charge.status.as_extension()['currentlyAvailable']} are available;"
                    f" the budget refills by {charge.status.restore_rate} per second.",
                    THROTTLED,
                )
            )
        return charge.granted

    def _actual(self, cost: int) -> int:
        context = self.execution_context
        result = context.result
        if not isinstance(result, ExecutionResult) or result.errors or not result.data:
            return cost
        assert context.graphql_document is not None
        try:
            actual = actual_cost(
                context.schema._schema,
                context.graphql_document,
                self._rules,
                result.data,
                context.operation_name,
            )
        except Exception:
            # Served data must not fail over accounting: keep the estimate charged.
            log.exception("actual query cost failed; the estimate stays charged")
            return cost
        return min(actual, cost)

    def _reported(self, cost: int, actual: int | None, status: ThrottleStatus) -> None:
        self._report = {
            "requestedQueryCost": cost,
            "actualQueryCost": actual,
            "throttleStatus": status.as_extension(),
        }

    def _refuse(self, error: GraphQLError) -> None:
        # A result set before execution makes Strawberry skip executing the operation.
        self.execution_context.result = ExecutionResult(data=None, errors=[error])


class QueryCostLimiter(_CostLimiter):
    """The cost check against buckets in this process."""

    def __init__(
        self, *, rules: CostRules, buckets: Buckets, capacity: int, caller_key: CallerKey
    ) -> None:
        super().__init__(rules=rules, capacity=capacity, caller_key=caller_key)
        self._buckets = buckets

    def on_execute(self) -> Iterator[None]:
        priced = self._price()
        granted = priced is not None and self._settle(priced[1], self._buckets.charge(*priced))
        yield
        if priced is not None and granted:
            key, cost = priced
            actual = self._actual(cost)
            if actual < cost:
                self._reported(cost, actual, self._buckets.refund(key, cost - actual))


class SharedQueryCostLimiter(_CostLimiter):
    """The cost check against buckets in Redis (async execution only)."""

    def __init__(
        self, *, rules: CostRules, buckets: SharedBuckets, capacity: int, caller_key: CallerKey
    ) -> None:
        super().__init__(rules=rules, capacity=capacity, caller_key=caller_key)
        self._buckets = buckets

    async def on_execute(self) -> AsyncIterator[None]:
        priced = self._price()
        granted = priced is not None and self._settle(
            priced[1], await self._buckets.charge(*priced)
        )
        yield
        if priced is not None and granted:
            key, cost = priced
            actual = self._actual(cost)
            if actual < cost:
                self._reported(cost, actual, await self._buckets.refund(key, cost - actual))
