"""One walk for the limits that measure an operation through its fragments (depth, aliases).

A measure says what one field is worth (given the measure of its own selection set) and
how the values of a selection set's members combine; the walk follows inline fragments
and fragment spreads, measuring each named fragment once however often it is spread.
The rule refuses an operation whose measure is over its limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.language.visitor import SKIP, VisitorAction

from graphql_schema.security.errors import refusal

# What a field is worth, given a way to measure its selection set.
FieldValue = Callable[[FieldNode, Callable[[SelectionSetNode], int]], int]
Combine = Callable[[Iterable[int]], int]


class _Walk:
    def __init__(self, context: ValidationContext, field: FieldValue, combine: Combine) -> None:
        self._context = context
        self._field = field
        self._combine = combine
        self._fragments: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        values: list[int] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                values.append(self._field(selection, self.of))
            elif isinstance(selection, InlineFragmentNode):
                values.append(self.of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                values.append(self._fragment(selection.name.value))
        return self._combine(values)

    def _fragment(self, name: str) -> int:
        if name not in self._fragments:
            # 0 while measuring stops a fragment cycle (NoFragmentCyclesRule reports it).
            self._fragments[name] = 0
            fragment = self._context.get_fragment(name)
            self._fragments[name] = self.of(fragment.selection_set) if fragment else 0
        return self._fragments[name]


def operation_limit_rule(
    limit: int,
    field: FieldValue,
    combine: Combine,
    refused: Callable[[str, int, int], str],
    code: str,
) -> type[ValidationRule]:
    """A validation rule refusing operations measuring more than `limit`; `refused` words
    the refusal from the operation's name, its measure and the limit."""

    class OperationLimitRule(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> VisitorAction:
            # graphql-core's validate() aborts documents nesting fragments too deeply
            # before any rule sees them, so this recursion is bounded.
            measured = _Walk(self.context, field, combine).of(node.selection_set)
            if measured > limit:
                name = f"Operation '{node.name.value}'" if node.name else "The operation"
                self.report_error(refusal(refused(name, measured, limit), code, node))
            return SKIP

    return OperationLimitRule
