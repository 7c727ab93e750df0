"""Depth limit: how many fields deep an operation reaches, introspection not counted.

A top-level field is depth 1, so `{ stocks { nodes { id } } }` is 3 deep and the
standard introspection query would be 15 — its `__schema`/`__type` subtrees are
skipped, as the contract asks, so tools keep working wherever introspection is on.
"""

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

from graphql_schema.security.errors import MAX_DEPTH_EXCEEDED, refusal


class _Depths:
    """Depths of selection sets, each fragment measured once however often it is spread."""

    def __init__(self, context: ValidationContext) -> None:
        self._context = context
        self._fragments: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value.startswith("__"):
                    continue
                below = self.of(selection.selection_set) if selection.selection_set else 0
                deepest = max(deepest, 1 + below)
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._fragment(selection.name.value))
        return deepest

    def _fragment(self, name: str) -> int:
        if name not in self._fragments:
            # 0 while measuring stops a fragment cycle (NoFragmentCyclesRule reports it).
            self._fragments[name] = 0
            fragment = self._context.get_fragment(name)
            self._fragments[name] = self.of(fragment.selection_set) if fragment else 0
        return self._fragments[name]


@cache  # one class per limit, so a validation cache keyed on the rules can hit
def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """A validation rule refusing operations deeper than `max_depth` fields."""

    class DepthLimitRule(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> VisitorAction:
            # graphql-core's validate() aborts documents nesting fragments too deeply
            # before any rule sees them, so this recursion is bounded.
            depth = _Depths(self.context).of(node.selection_set)
            if depth > max_depth:
                name = f"Operation '{node.name.value}'" if node.name else "The operation"
                self.report_error(
                    refusal(
                        f"{name} is {depth} fields deep; at most {max_depth} are allowed.",
                        MAX_DEPTH_EXCEEDED,
                        node,
                    )
                )
            return SKIP

    return DepthLimitRule
