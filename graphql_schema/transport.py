"""Subscriptions are served over the websocket; a plain HTTP request cannot stream them."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graphql_schema.context import Context

SUBSCRIPTION_NEEDS_WEBSOCKET = "SUBSCRIPTION_NEEDS_WEBSOCKET"


class SubscriptionsOverWebsocket(SchemaExtension):
    """Refuse a subscription sent over HTTP with a client error (it would resolve to null)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        is_http = isinstance(context.context, Context) and not isinstance(request, WebSocket)
        if context.operation_type is OperationType.SUBSCRIPTION and is_http:
            context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "subscriptions are served over the websocket at /graphql "
                        "(graphql-transport-ws or graphql-ws)",
                        extensions={"code": SUBSCRIPTION_NEEDS_WEBSOCKET},
                    )
                ],
            )
        yield
