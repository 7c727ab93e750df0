"""Field suggestions off: "Did you mean …?" would let anyone map a schema without introspection."""

from __future__ import annotations

import re
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


class HideSuggestions(SchemaExtension):
    """Strips suggestions from every error of a result: validation and variable coercion.

    graphql-core's own `hide_suggestions` flag is not reachable through
    Strawberry's validate and execute calls, and Strawberry's
    `disable_field_suggestions` covers unknown fields only, not arguments,
    types or enum values.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or ():
            error.message = without_suggestions(error.message)
