"""What an operation selects, merged as execution merges it: shared by both cost measures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    is_object_type,
)

from graphql_schema.security.page_size import PAGE_SIZE_ARGUMENTS

Fields = dict[str, list[FieldNode]]


@dataclass(slots=True)
class ConnectionSelection:
    """A connection's selection split the way its cost is counted.

    `node_selections` are those of `nodes { … }` and `edges { node { … } }`
    together (the same objects); `edge_fields` the other fields of an edge;
    `other_fields` those of the connection besides edges, nodes and pageInfo.
    """

    connection: GraphQLObjectType
    nodes_keys: list[str] = field(default_factory=list)
    edges_keys: list[str] = field(default_factory=list)
    edge: GraphQLObjectType | None = None
    node_keys_in_edge: list[str] = field(default_factory=list)
    node_type: GraphQLNamedType | None = None
    node_selections: list[SelectionSetNode] = field(default_factory=list)
    edge_fields: Fields = field(default_factory=dict)
    other_fields: Fields = field(default_factory=dict)


class Selections:
    """Field collection over one document, cached per type and selection sets."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self._fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._collected: dict[tuple[str, tuple[int, ...]], Fields] = {}
        self._connections: dict[tuple[int, ...], ConnectionSelection] = {}

    def concrete_types(self, type_: GraphQLNamedType) -> Sequence[GraphQLObjectType]:
        if is_object_type(type_):
            return [type_]
        if is_abstract_type(type_):
            return self.schema.get_possible_types(type_)
        return []

    def collect(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> Fields:
        """Fields by response key for one concrete type; fragments expand once each."""
        key = (parent.name, tuple(id(s) for s in selection_sets))
        if key not in self._collected:
            self._collected[key] = self._collect(parent, selection_sets)
        return self._collected[key]

    def _collect(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> Fields:
        fields: Fields = {}
        visited: set[str] = set()
        pending = list(selection_sets)
        for selection_set in pending:  # grows while it is walked: fragments add theirs
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    response_key = (
                        selection.alias.value if selection.alias else selection.name.value
                    )
                    fields.setdefault(response_key, []).append(selection)
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
        condition = self.schema.get_type(type_name)
        if condition is parent:
            return True
        return is_abstract_type(condition) and self.schema.is_sub_type(condition, parent)

    def connection(self, field_: GraphQLField, nodes: Sequence[FieldNode]) -> ConnectionSelection:
        """The parts of a connection field's selection, computed once per field nodes."""
        key = (id(field_), *(id(n) for n in nodes))
        if key not in self._connections:
            self._connections[key] = self._connection(field_, nodes)
        return self._connections[key]

    def _connection(self, field_: GraphQLField, nodes: Sequence[FieldNode]) -> ConnectionSelection:
        connection = get_named_type(field_.type)
        assert isinstance(connection, GraphQLObjectType)
        split = ConnectionSelection(connection)
        for key, key_nodes in self.collect(connection, sub_selections(nodes)).items():
            name = key_nodes[0].name.value
            if name == "nodes":
                split.nodes_keys.append(key)
                split.node_type = get_named_type(connection.fields["nodes"].type)
                split.node_selections.extend(sub_selections(key_nodes))
            elif name == "edges":
                split.edges_keys.append(key)
                edge = get_named_type(connection.fields["edges"].type)
                assert isinstance(edge, GraphQLObjectType)
                split.edge = edge
                for edge_key, edge_nodes in self.collect(edge, sub_selections(key_nodes)).items():
                    if edge_nodes[0].name.value == "node":
                        split.node_keys_in_edge.append(edge_key)
                        split.node_type = get_named_type(edge.fields["node"].type)
                        split.node_selections.extend(sub_selections(edge_nodes))
                    else:
                        split.edge_fields[edge_key] = edge_nodes
            elif name != "pageInfo":
                split.other_fields[key] = key_nodes
        return split


def is_connection(field_: GraphQLField) -> bool:
    """A field with `first` or `last` whose type has `edges` or `nodes`."""
    named = get_named_type(field_.type)
    return (
        any(name in field_.args for name in PAGE_SIZE_ARGUMENTS)
        and isinstance(named, GraphQLObjectType)
        and ("edges" in named.fields or "nodes" in named.fields)
    )


def sub_selections(nodes: Sequence[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set]
