"""Every GraphQL error a client gets carries `extensions.code`.

graphql-core's syntax and validation errors have none; they get GRAPHQL_PARSE_FAILED
and GRAPHQL_VALIDATION_FAILED (the names Apollo clients know), a variable value that
does not fit its type BAD_USER_INPUT, any other error without one
INTERNAL_SERVER_ERROR. Errors that already have a code (the security limits', the
resolvers') keep it. Requests refused before any GraphQL (a body that is not JSON, a
wrong content type, no query) are answered by the route as JSON with BAD_REQUEST
(graphql_schema/app.py).
"""

from __future__ import annotations

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.types import ExecutionContext

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL = "INTERNAL_SERVER_ERROR"
# How graphql-core begins every error coercing a variable's value (values.py); Strawberry
# reports those among the pre-execution errors too.
VARIABLE_ERROR = "Variable '$"


def code_of(error: GraphQLError, context: ExecutionContext | None) -> str:
    if isinstance(error, GraphQLSyntaxError) or isinstance(
        error.original_error, GraphQLSyntaxError
    ):
        return PARSE_FAILED
    if error.path is None and error.message.startswith(VARIABLE_ERROR):
        return BAD_USER_INPUT
    if context is not None and any(error is e for e in context.pre_execution_errors or ()):
        return VALIDATION_FAILED
    # Without a path: raised before any field ran, i.e. coercing the variables.
    return BAD_USER_INPUT if error.path is None else INTERNAL


def add_codes(errors: list[GraphQLError], context: ExecutionContext | None) -> None:
    """Give each error without a code the one that says what went wrong."""
    for error in errors:
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": code_of(error, context)}
