"""Query cost, estimated from the document before execution (as Shopify does).

- A field returning an object (or interface/union) costs 1 plus its selection.
- A scalar or enum field costs 0, and so do introspection fields.
- A connection — a field with a `first` or `last` argument whose type has
  `edges` or `nodes` — costs `size * (node cost) + 2`, where `size` is `first`
  or `last` (the larger if both are given, the default page size if neither)
  and the node cost is 1 plus what `nodes { … }` and `edges { node { … } }`
  select, merged, since both name the same objects. The 2 covers the connection
  and its `pageInfo`; `cursor` and `totalCount` are scalars. So connections
  nested in connections multiply.
- A mutation field costs `mutation_cost` in place of its payload object, plus
  what the payload selects.
- A list of objects that is not a connection counts as one object (such lists —
  recipe lines, order lines — are bounded by the data, not by the client).
- Fields requested twice under one response key are counted once, as they
  execute once; on an interface or union the costliest possible type counts;
  `@skip`/`@include` are ignored, so the estimate is an upper bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    IntValueNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast

from graphql_schema.security.memo import DocumentMemo
from graphql_schema.security.page_size import PAGE_SIZE_ARGUMENTS, page_size_value
from graphql_schema.security.selections import Selections, is_connection, sub_selections

CONNECTION_OVERHEAD = 2


@dataclass(frozen=True, slots=True)
class CostRules:
    default_page_size: int
    mutation_cost: int


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    operation_name: str | None = None,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The estimated cost of the operation a request executes (0 if there is none)."""
    if not variables:  # then the estimate depends on the document alone
        return _ESTIMATES.get(
            schema,
            document,
            (operation_name, rules),
            lambda: _operation_cost(schema, document, rules, operation_name, None),
        )
    return _operation_cost(schema, document, rules, operation_name, variables)


_ESTIMATES: DocumentMemo[int] = DocumentMemo()


def _operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return 0
    defaults = {
        v.variable.name.value: int(v.default_value.value)
        for v in operation.variable_definitions or ()
        if isinstance(v.default_value, IntValueNode)
    }
    estimate = _Estimate(Selections(schema, document), rules, {**defaults, **(variables or {})})
    if operation.operation is OperationType.MUTATION:
        return estimate.mutation(root, operation.selection_set)
    return estimate.selections(root, [operation.selection_set])


class _Estimate:
    def __init__(
        self, selections: Selections, rules: CostRules, variables: Mapping[str, Any]
    ) -> None:
        self._selections = selections
        self._rules = rules
        self._variables = variables

    def mutation(self, root: GraphQLObjectType, selection_set: SelectionSetNode) -> int:
        total = 0
        for nodes in self._selections.collect(root, [selection_set]).values():
            field = root.fields.get(nodes[0].name.value)
            if field is not None:
                payload = get_named_type(field.type)
                total += self._rules.mutation_cost + self.selections(payload, sub_selections(nodes))
        return total

    def selections(
        self, parent: GraphQLNamedType, selection_sets: Sequence[SelectionSetNode]
    ) -> int:
        return max(
            (
                sum(
                    self._field(t, nodes)
                    for nodes in self._selections.collect(t, selection_sets).values()
                )
                for t in self._selections.concrete_types(parent)
            ),
            default=0,
        )

    def _field(self, parent: GraphQLObjectType, nodes: Sequence[FieldNode]) -> int:
        name = nodes[0].name.value
        field = parent.fields.get(name)
        if field is None or name.startswith("__") or is_leaf_type(get_named_type(field.type)):
            return 0
        if not is_connection(field):
            return 1 + self.selections(get_named_type(field.type), sub_selections(nodes))
        split = self._selections.connection(field, nodes)
        per_item = (
            sum(self._field(split.edge, n) for n in split.edge_fields.values()) if split.edge else 0
        )
        if split.node_type is not None:
            per_item += 1 + self.selections(split.node_type, split.node_selections)
        others = sum(self._field(split.connection, n) for n in split.other_fields.values())
        return self._page_size(nodes[0]) * per_item + CONNECTION_OVERHEAD + others

    def _page_size(self, node: FieldNode) -> int:
        sizes = []
        for argument in node.arguments or ():
            if argument.name.value not in PAGE_SIZE_ARGUMENTS:
                continue
            value = argument.value
            size: int | None = None
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode):
                size = page_size_value(self._variables.get(value.name.value))
            if size is not None:
                sizes.append(max(size, 0))
        return max(sizes) if sizes else self._rules.default_page_size
