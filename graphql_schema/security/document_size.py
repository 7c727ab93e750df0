"""Token limit: the parser stops a document past `max_tokens` tokens (or comments, or length).

The parser aborts with a syntax error; this extension gives it the
MAX_TOKENS_EXCEEDED code, so clients can tell "too big" from "malformed".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from graphql_schema.security.errors import MAX_TOKENS_EXCEEDED
from graphql_schema.security.limits import SecurityLimits

# The endings of graphql-core's messages when one of these parse limits stops it.
_LIMIT_MESSAGES = (
    "tokens. Parsing aborted.",
    "comments. Parsing aborted.",
    "code points. Parsing aborted.",
)


class DocumentSizeLimiter(SchemaExtension):
    def __init__(self, *, limits: SecurityLimits) -> None:
        self._limits = limits

    def on_operation(self) -> Iterator[None]:
        # Strawberry's ParseOptions type names only the deprecated max_tokens (which
        # also counts comments); graphql-core's parse takes these three instead.
        options = cast(dict[str, Any], self.execution_context.parse_options)
        options["max_lexical_tokens"] = self._limits.max_tokens
        options["max_comments"] = self._limits.max_tokens
        options["max_source_length"] = self._limits.max_query_length
        try:
            yield
        except GraphQLSyntaxError as syntax_error:
            # A parse inside an extension (ParserCache) raises instead of returning errors.
            _tag(syntax_error)
            raise
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            _tag(error)


def _tag(error: GraphQLError) -> None:
    if isinstance(error, GraphQLSyntaxError) and error.message.endswith(_LIMIT_MESSAGES):
        error.extensions = {**(error.extensions or {}), "code": MAX_TOKENS_EXCEEDED}
