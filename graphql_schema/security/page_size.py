"""Page size limit: `first`/`last` above the maximum is refused, whether literal or a variable.

Refused, not clamped: a client asking for 1,000 rows and silently getting 250
would page wrongly. The rule depends on the request's variables — which are
given, which are too large — so one class is kept per such combination (almost
always "none too large"), which lets a validation cache keyed on the rules hit.
A variable left out falls back to its default.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    IntValueNode,
    OperationDefinitionNode,
    ValidationRule,
    ValueNode,
    VariableNode,
)

from graphql_schema.security.errors import PAGE_SIZE_EXCEEDED, refusal

PAGE_SIZE_ARGUMENTS = ("first", "last")


def page_size_value(value: object) -> int | None:
    """A page size as graphql-core would accept it for Int, or None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def page_size_rule(
    max_page_size: int, variables: Mapping[str, Any] | None = None
) -> type[ValidationRule]:
    """A validation rule refusing `first`/`last` above `max_page_size`."""
    given = variables or {}
    oversized = {
        name: size
        for name, size in ((name, page_size_value(value)) for name, value in given.items())
        if size is not None and size > max_page_size
    }
    return _page_size_rule(max_page_size, frozenset(given), tuple(sorted(oversized.items())))


@lru_cache(maxsize=256)
def _page_size_rule(
    max_page_size: int, given: frozenset[str], oversized_items: tuple[tuple[str, int], ...]
) -> type[ValidationRule]:
    oversized = dict(oversized_items)

    class PageSizeRule(ValidationRule):
        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            for argument in node.arguments or ():
                if argument.name.value in PAGE_SIZE_ARGUMENTS:
                    self._check(node, argument)

        def _check(self, field: FieldNode, argument: ArgumentNode) -> None:
            for size, origin in self._sizes(argument.value):
                if size > max_page_size:
                    self.report_error(
                        refusal(
                            f"{argument.name.value} on field '{field.name.value}' is {size}"
                            f"{origin}; at most {max_page_size} are allowed.",
                            PAGE_SIZE_EXCEEDED,
                            argument,
                        )
                    )

        def _sizes(self, value: ValueNode) -> Iterator[tuple[int, str]]:
            if isinstance(value, IntValueNode):
                size = page_size_value(int(value.value))
                if size is not None:
                    yield size, ""
            elif isinstance(value, VariableNode):
                name = value.name.value
                if name in oversized:
                    yield oversized[name], f" (variable ${name})"
                elif name not in given:
                    for default in self._defaults(name):
                        yield default, f" (default of variable ${name})"

        def _defaults(self, name: str) -> Iterator[int]:
            for definition in self.context.document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                for variable in definition.variable_definitions or ():
                    default = variable.default_value
                    if variable.variable.name.value == name and isinstance(default, IntValueNode):
                        yield int(default.value)

    return PageSizeRule
