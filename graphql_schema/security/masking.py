"""MaskErrors with an explicit predicate (errors.should_mask_error) and a code clients can test."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.types.execution import StreamExecutionResult

from app.db.errors import is_database_unavailable
from graphql_schema.security.errors import INTERNAL_SERVER_ERROR, should_mask_error

MASKED_MESSAGE = "Unexpected error."
UNAVAILABLE = "UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The database is unavailable; retry (with the same idempotencyKey)."


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected errors by "Unexpected error." (code INTERNAL_SERVER_ERROR).

    Strawberry logs every error, original text and traceback included, before
    this runs, so nothing is lost for the operators.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message=MASKED_MESSAGE)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        """As MaskErrors does, but an error-free result (every event of a subscription,
        normally) costs a getattr: Strawberry's check is an isinstance against a runtime
        Protocol, which walks the Protocol's attributes on every streamed result."""
        self._stream_result_processed = True
        if (
            getattr(result, "errors", None)
            or getattr(result, "incremental", None)
            or (getattr(result, "completed", None))
        ):
            self._process_stream_result(result)
        yield None

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if error.original_error is not None and is_database_unavailable(error.original_error):
            # An outage, not a bug: say so, as /v1's 503 does, so clients retry.
            return GraphQLError(
                UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": UNAVAILABLE},
            )
        return GraphQLError(
            self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL_SERVER_ERROR},
        )
