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
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
)
from graphql.utilities import get_operation_ast

from graphql_schema.security.page_size import PAGE_SIZE_ARGUMENTS, page_size_value

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
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    defaults = {
        v.variable.name.value: int(v.default_value.value)
        for v in operation.variable_definitions or ()
        if isinstance(v.default_value, IntValueNode)
    }
    estimate = _Estimate(schema, fragments, rules, {**defaults, **(variables or {})})
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    if operation.operation is OperationType.MUTATION:
        return estimate.mutation(root, operation.selection_set)
    return estimate.selections(root, [operation.selection_set])


class _Estimate:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        rules: CostRules,
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._rules = rules
        self._variables = variables

    def mutation(self, root: GraphQLObjectType, selection_set: SelectionSetNode) -> int:
        total = 0
        for nodes in self._collect(root, [selection_set]).values():
            field = root.fields.get(nodes[0].name.value)
            if field is None:
                continue
            total += self._rules.mutation_cost
            if not is_leaf_type(get_named_type(field.type)):
                total += self.selections(field.type, _sub_selections(nodes))
        return total

    def selections(
        self, parent: GraphQLOutputType, selection_sets: Sequence[SelectionSetNode]
    ) -> int:
        named = get_named_type(parent)
        if is_object_type(named):
            return self._object(named, selection_sets)
        if is_abstract_type(named):
            possible = self._schema.get_possible_types(named)
            return max((self._object(t, selection_sets) for t in possible), default=0)
        return 0

    def _object(self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]) -> int:
        return sum(
            self._field(parent, nodes) for nodes in self._collect(parent, selection_sets).values()
        )

    def _field(self, parent: GraphQLObjectType, nodes: Sequence[FieldNode]) -> int:
        name = nodes[0].name.value
        field = parent.fields.get(name)
        if field is None or name.startswith("__") or is_leaf_type(get_named_type(field.type)):
            return 0
        if _is_connection(field):
            return self._connection(field, nodes)
        return 1 + self.selections(field.type, _sub_selections(nodes))

    def _connection(self, field: GraphQLField, nodes: Sequence[FieldNode]) -> int:
        connection = get_named_type(field.type)
        assert isinstance(connection, GraphQLObjectType)
        node_type: GraphQLOutputType | None = None
        node_selections: list[SelectionSetNode] = []
        per_item = 0
        others = 0
        for key_nodes in self._collect(connection, _sub_selections(nodes)).values():
            name = key_nodes[0].name.value
            if name == "nodes":
                node_type = connection.fields["nodes"].type
                node_selections += _sub_selections(key_nodes)
            elif name == "edges":
                edge = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge, GraphQLObjectType)
                for edge_nodes in self._collect(edge, _sub_selections(key_nodes)).values():
                    if edge_nodes[0].name.value == "node":
                        node_type = edge.fields["node"].type
                        node_selections += _sub_selections(edge_nodes)
                    else:
                        per_item += self._field(edge, edge_nodes)
            elif name != "pageInfo":
                others += self._field(connection, key_nodes)
        if node_type is not None:
            per_item += 1 + self.selections(node_type, node_selections)
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

    def _collect(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key as execution would merge them, for one concrete type."""
        fields: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        pending = list(selection_sets)
        for selection_set in pending:  # grows while it is walked: fragments add theirs
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    fields.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    if condition is None or self._applies(condition.name.value, parent):
                        pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self._fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self._applies(fragment.type_condition.name.value, parent):
                        pending.append(fragment.selection_set)
        return fields

    def _applies(self, type_name: str, parent: GraphQLObjectType) -> bool:
        condition = self._schema.get_type(type_name)
        if condition is parent:
            return True
        return is_abstract_type(condition) and self._schema.is_sub_type(condition, parent)


def _is_connection(field: GraphQLField) -> bool:
    named = get_named_type(field.type)
    return (
        any(name in field.args for name in PAGE_SIZE_ARGUMENTS)
        and isinstance(named, GraphQLObjectType)
        and ("edges" in named.fields or "nodes" in named.fields)
    )


def _sub_selections(nodes: Sequence[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set]
