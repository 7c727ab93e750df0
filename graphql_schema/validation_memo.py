"""Validation kept per parsed document, for the served schema.

Strawberry's ValidationCache keys an lru_cache by the document, and a graphql-core
document hashes by walking every node of it: ~50 µs of a dashboard request, each
request. The parser cache hands the same query text the same document, so this keeps
each document's validation by identity (security/memo.py) instead. Strawberry's own
extension serves with GRAPHQL_FAST_EXECUTION=false.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graphql_schema.security.memo import DocumentMemo

_VALIDATED: DocumentMemo[list[GraphQLError]] = DocumentMemo()


class DocumentValidation(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema = context.schema._schema
        document = context.graphql_document
        assert document is not None  # validation follows a successful parse
        rules = tuple(context.validation_rules)
        context.pre_execution_errors = _VALIDATED.get(
            schema, document, rules, lambda: validate_document(schema, document, rules)
        )
        yield
