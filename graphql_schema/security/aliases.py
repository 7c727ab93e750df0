"""Alias limit: how many aliased fields an operation asks for, fragments counted where spread."""

from __future__ import annotations

from functools import cache
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

from graphql_schema.security.errors import MAX_ALIASES_EXCEEDED, refusal


class _Aliases:
    """Aliases in selection sets, each fragment counted once and reused per spread."""

    def __init__(self, context: ValidationContext) -> None:
        self._context = context
        self._fragments: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += 1 if selection.alias else 0
                if selection.selection_set:
                    count += self.of(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.of(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self._fragment(selection.name.value)
        return count

    def _fragment(self, name: str) -> int:
        if name not in self._fragments:
            self._fragments[name] = 0  # a cycle counts nothing; NoFragmentCyclesRule reports it
            fragment = self._context.get_fragment(name)
            self._fragments[name] = self.of(fragment.selection_set) if fragment else 0
        return self._fragments[name]


@cache  # one class per limit, so a validation cache keyed on the rules can hit
def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    """A validation rule refusing operations with more than `max_aliases` aliases."""

    class AliasLimitRule(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> VisitorAction:
            # graphql-core's validate() aborts documents nesting fragments too deeply
            # before any rule sees them, so this recursion is bounded.
            count = _Aliases(self.context).of(node.selection_set)
            if count > max_aliases:
                name = f"Operation '{node.name.value}'" if node.name else "The operation"
                self.report_error(
                    refusal(
                        f"{name} uses {count} aliases; at most {max_aliases} are allowed.",
                        MAX_ALIASES_EXCEEDED,
                        node,
                    )
                )
            return SKIP

    return AliasLimitRule
