"""The schema builder: queries and mutations of every area, plus the hooks others plug into.

`extensions` takes the security extensions (depth, aliases, tokens, cost, masking,
introspection); `subscription` the root Subscription type once it exists. Both are
parameters, so nothing here needs to know how they are made.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import sqlalchemy.exc
import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from strawberry.utils.logging import StrawberryLogger

from app.db.errors import is_database_unavailable
from app.settings import Settings
from graphql_schema.context import Context
from graphql_schema.counts.mutations import CountMutations
from graphql_schema.counts.queries import CountQueries
from graphql_schema.error_codes import add_codes
from graphql_schema.execution import BatchedListExecutor
from graphql_schema.items.queries import ItemQueries
from graphql_schema.ledger.queries import LedgerQueries
from graphql_schema.locations.mutations import LocationMutations
from graphql_schema.locations.queries import LocationQueries
from graphql_schema.materials.mutations import MaterialMutations
from graphql_schema.materials.queries import MaterialQueries
from graphql_schema.movements.queries import MovementQueries
from graphql_schema.node import NodeQueries
from graphql_schema.productions.mutations import ProductionMutations
from graphql_schema.productions.queries import ProductionQueries
from graphql_schema.purchase_orders.mutations import PurchaseOrderMutations
from graphql_schema.purchase_orders.queries import PurchaseOrderQueries
from graphql_schema.read_budget import RETRY_AFTER_SECONDS, ReadsBusy
from graphql_schema.recipes.mutations import RecipeMutations
from graphql_schema.recipes.queries import RecipeQueries
from graphql_schema.replenishment.mutations import ReplenishmentMutations
from graphql_schema.replenishment.queries import ReplenishmentQueries
from graphql_schema.returns.mutations import ReturnMutations
from graphql_schema.scalars import SCALAR_OVERRIDES
from graphql_schema.security.errors import should_mask_error
from graphql_schema.stocks.mutations import StockMutations
from graphql_schema.stocks.queries import StockQueries
from graphql_schema.stream_runner import StreamingExtensionsRunner
from graphql_schema.subscriptions import Subscription
from graphql_schema.transfers.mutations import TransferMutations
from graphql_schema.transfers.queries import TransferQueries
from graphql_schema.units.mutations import UnitMutations
from graphql_schema.units.queries import UnitQueries
from graphql_schema.usage.queries import UsageQueries
from graphql_schema.usage.unmapped import UnmappedSaleQueries
from graphql_schema.validation_memo import DocumentValidation
from graphql_schema.vendors.mutations import VendorMutations
from graphql_schema.vendors.queries import VendorQueries

log = logging.getLogger(__name__)

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]

# Distinct query texts parsed and validated once per process (dashboards send a few dozen).
PARSED_QUERIES_KEPT = 512


class ReadsClosing(SchemaExtension):
    """Gives the request's read connection back to the pool when the operation ends.

    A mutation's reads are not charged to the read budget (read_budget.py). A query that
    failed for want of a connection (the read budget, an exhausted pool, a database
    away) is answered HTTP 503 with Retry-After, never 200 with an error; so is a
    mutation that wrote nothing because the pool had no connection for it.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and self.execution_context.operation_type is (
            OperationType.MUTATION
        ):
            context.writing = True
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if isinstance(context, Context):
            await context.close()
            result = self.execution_context.result
            errors = getattr(result, "errors", None) or ()
            kind = self.execution_context.operation_type
            if context.response is not None and (
                (kind is OperationType.QUERY and any(map(_for_want_of_a_connection, errors)))
                or (
                    kind is OperationType.MUTATION
                    and not any((getattr(result, "data", None) or {}).values())
                    and any(map(_for_want_of_a_pooled_connection, errors))
                )
            ):
                context.response.status_code = 503
                context.response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)


def _for_want_of_a_connection(error: GraphQLError) -> bool:
    original = error.original_error
    if isinstance(original, ReadsBusy):
        return True
    return original is not None and is_database_unavailable(original)


def _for_want_of_a_pooled_connection(error: GraphQLError) -> bool:
    """The pool had no connection to give in time: the write never reached the database
    (unlike a connection lost mid-transaction, when a commit may have happened)."""
    return isinstance(error.original_error, sqlalchemy.exc.TimeoutError)


@strawberry.type
class Query(
    NodeQueries,
    LocationQueries,
    ItemQueries,
    MaterialQueries,
    StockQueries,
    MovementQueries,
    VendorQueries,
    PurchaseOrderQueries,
    TransferQueries,
    RecipeQueries,
    LedgerQueries,
    UnitQueries,
    ProductionQueries,
    CountQueries,
    UsageQueries,
    UnmappedSaleQueries,
    ReplenishmentQueries,
):
    pass


@strawberry.type
class Mutation(
    LocationMutations,
    MaterialMutations,
    RecipeMutations,
    StockMutations,
    VendorMutations,
    PurchaseOrderMutations,
    TransferMutations,
    UnitMutations,
    ProductionMutations,
    CountMutations,
    ReturnMutations,
    ReplenishmentMutations,
):
    pass


class InventorySchema(strawberry.Schema):
    """Logs only what operators must look at: a client's bad query is not an ERROR.

    Its extension runner finds once per operation what Strawberry finds again for
    every streamed result (see stream_runner), unless GRAPHQL_FAST_SUBSCRIPTIONS=false.
    """

    fast_stream_runner = True

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        if not self.fast_stream_runner:
            return super().create_extensions_runner(execution_context, extensions)
        return StreamingExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        add_codes(errors, execution_context)
        for error in errors:
            if should_mask_error(error):
                StrawberryLogger.error(error, execution_context)
            else:
                log.info("graphql request refused: %s", error.message)


def build_schema(
    settings: Settings,
    *,
    extensions: Sequence[Extension] = (),
    subscription: type | None = None,
) -> strawberry.Schema:
    """The served schema; field suggestions ("did you mean") are off in production."""
    schema = InventorySchema(
        query=Query,
        mutation=Mutation,
        # The realtime subscriptions unless a test passes its own root.
        subscription=subscription or Subscription,
        extensions=[
            *extensions,
            lambda: ParserCache(maxsize=PARSED_QUERIES_KEPT),
            DocumentValidation
            if settings.graphql_fast_execution
            else lambda: ValidationCache(maxsize=PARSED_QUERIES_KEPT),
            ReadsClosing,
        ],
        scalar_overrides=dict(SCALAR_OVERRIDES),
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
        execution_context_class=BatchedListExecutor if settings.graphql_fast_execution else None,
    )
    schema.fast_stream_runner = settings.graphql_fast_subscriptions
    return schema
