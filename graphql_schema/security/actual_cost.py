"""Actual query cost, counted on the data a query returned, by the estimate's rules.

Where the estimate multiplies by `first`, this counts the nodes that came back,
and an object that came back null costs nothing: asking for 250 stocks of a
location holding 12 costs 12 * node + 2. The difference to the estimate is
refunded, as Shopify does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)
from graphql.utilities import get_operation_ast

from graphql_schema.security.cost import CONNECTION_OVERHEAD, CostRules
from graphql_schema.security.selections import Selections, is_connection, sub_selections


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    data: Mapping[str, Any],
    operation_name: str | None = None,
) -> int:
    """The cost of the operation by the data it returned."""
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return 0
    count = _Count(Selections(schema, document))
    if operation.operation is not OperationType.MUTATION:
        return count.children(root, [operation.selection_set], data)
    total = 0
    for key, nodes in count.selections.collect(root, [operation.selection_set]).items():
        field = root.fields.get(nodes[0].name.value)
        payload = data.get(key)
        if field is not None:
            total += rules.mutation_cost
            if isinstance(payload, Mapping):
                total += count.children(get_named_type(field.type), sub_selections(nodes), payload)
    return total


class _Count:
    def __init__(self, selections: Selections) -> None:
        self.selections = selections

    def children(
        self,
        parent: GraphQLNamedType,
        selection_sets: Sequence[SelectionSetNode],
        value: Mapping[str, Any],
    ) -> int:
        # Without knowing the runtime type of an interface or union, the costliest counts.
        return max(
            (
                sum(
                    self._field(t, nodes, value.get(key))
                    for key, nodes in self.selections.collect(t, selection_sets).items()
                )
                for t in self.selections.concrete_types(parent)
            ),
            default=0,
        )

    def _field(self, parent: GraphQLObjectType, nodes: Sequence[FieldNode], value: Any) -> int:
        name = nodes[0].name.value
        field = parent.fields.get(name)
        if field is None or name.startswith("__") or value is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        if is_connection(field) and isinstance(value, Mapping):
            return self._connection(field, nodes, value)
        return self._objects(named, sub_selections(nodes), value)

    def _objects(
        self, named: GraphQLNamedType, selection_sets: Sequence[SelectionSetNode], value: Any
    ) -> int:
        if isinstance(value, list):
            # A plain list counts as one object in the estimate: its costliest element here.
            return max((self._objects(named, selection_sets, v) for v in value), default=0)
        if not isinstance(value, Mapping):
            return 0
        return 1 + self.children(named, selection_sets, value)

    def _connection(
        self, field: GraphQLField, nodes: Sequence[FieldNode], value: Mapping[str, Any]
    ) -> int:
        split = self.selections.connection(field, nodes)
        items: list[dict[str, Any]] = []
        for key in split.nodes_keys:
            _merge_at(items, value.get(key))
        total = CONNECTION_OVERHEAD
        for key in split.edges_keys:
            edges = value.get(key)
            if not isinstance(edges, list):
                continue
            for node_key in split.node_keys_in_edge:
                _merge_at(
                    items, [e.get(node_key) if isinstance(e, Mapping) else None for e in edges]
                )
            if split.edge is not None:
                for edge in edges:
                    if isinstance(edge, Mapping):
                        total += sum(
                            self._field(split.edge, n, edge.get(k))
                            for k, n in split.edge_fields.items()
                        )
        if split.node_type is not None:
            total += sum(
                1 + self.children(split.node_type, split.node_selections, item) for item in items
            )
        total += sum(
            self._field(split.connection, n, value.get(k)) for k, n in split.other_fields.items()
        )
        return total


def _merge_at(items: list[dict[str, Any]], nodes: Any) -> None:
    """Merges the i-th node of `nodes` and of `edges { node }` into items[i]: the same object."""
    if not isinstance(nodes, list):
        return
    for index, node in enumerate(nodes):
        if index == len(items):
            items.append({})
        if isinstance(node, Mapping):
            items[index] = _deep_merge(items[index], node)


def _deep_merge(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = _merge_values(merged[key], value) if key in merged else value
    return merged


def _merge_values(left: Any, right: Any) -> Any:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return _deep_merge(left, right)
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [_merge_values(a, b) for a, b in zip(left, right, strict=True)]
    return right
