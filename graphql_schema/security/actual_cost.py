"""Actual query cost, counted on the data a query returned, by the estimate's rules.

Where the estimate multiplies by `first`, this counts the nodes that came back,
and an object that came back null costs nothing: asking for 250 stocks of a
location holding 12 costs 12 * node + 2. The difference to the estimate is
refunded, as Shopify does. The selections are compiled once per document into a plan
that keeps only the fields that can cost something, so a page of nodes is walked
cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from graphql import (
    DocumentNode,
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
from graphql_schema.security.memo import DocumentMemo
from graphql_schema.security.selections import (
    Fields,
    Selections,
    is_connection,
    sub_selections,
)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: CostRules,
    data: Mapping[str, Any],
    operation_name: str | None = None,
) -> int:
    """The cost of the operation by the data it returned."""
    compiled = _COMPILED.get(
        schema, document, operation_name, lambda: _compile(schema, document, operation_name)
    )
    if compiled is None:
        return 0
    plan, mutation_fields = compiled
    if mutation_fields is None:
        return _children(plan, data)
    # Each mutation field costs mutation_cost in place of its payload object.
    total = rules.mutation_cost * mutation_fields
    for step in plan.by_type[0]:
        payload = data.get(step.key)
        if isinstance(payload, Mapping) and step.children is not None:
            total += _children(step.children, payload)
    return total


def _compile(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> tuple[_Plan, int | None] | None:
    """The operation's plan, and for a mutation how many of its root fields are mutations."""
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation else None
    if operation is None or root is None:
        return None
    selections = Selections(schema, document)
    plan = _Compiler(selections).plan(root, [operation.selection_set])
    if operation.operation is not OperationType.MUTATION:
        return plan, None
    fields = selections.collect(root, [operation.selection_set]).values()
    return plan, sum(nodes[0].name.value in root.fields for nodes in fields)


_COMPILED: DocumentMemo[tuple[_Plan, int | None] | None] = DocumentMemo()


@dataclass(slots=True)
class _Plan:
    """For each possible type of an object, the fields of its selection that can cost."""

    by_type: list[list[_Step]] = field(default_factory=list)
    costly: bool = field(init=False)  # some type has such a field
    # The walk of an object's costly fields, compiled on first use (see _walk_children).
    walk: Callable[[Mapping[str, Any]], int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.costly = any(self.by_type)


@dataclass(slots=True)
class _Step:
    key: str
    children: _Plan | None = None  # an object field: its selection's plan
    connection: _ConnectionPlan | None = None


@dataclass(slots=True)
class _ConnectionPlan:
    nodes_keys: list[str]
    edges_keys: list[str]
    node_keys_in_edge: list[str]
    items: _Plan | None  # what each node selects; None if no node is selected
    edge: _Plan  # fields of an edge besides node
    other: _Plan  # fields of the connection besides edges, nodes and pageInfo


class _Compiler:
    def __init__(self, selections: Selections) -> None:
        self._selections = selections

    def plan(self, parent: GraphQLNamedType, selection_sets: Sequence[SelectionSetNode]) -> _Plan:
        return _Plan(
            [self._steps(t, selection_sets) for t in self._selections.concrete_types(parent)]
        )

    def _steps(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> list[_Step]:
        return self._steps_of(parent, self._selections.collect(parent, selection_sets))

    def _steps_of(self, parent: GraphQLObjectType, fields: Fields) -> list[_Step]:
        steps = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            field_ = parent.fields.get(name)
            if field_ is None or name.startswith("__") or is_leaf_type(get_named_type(field_.type)):
                continue
            if not is_connection(field_):
                steps.append(
                    _Step(
                        key, children=self.plan(get_named_type(field_.type), sub_selections(nodes))
                    )
                )
                continue
            split = self._selections.connection(field_, nodes)
            connection = _ConnectionPlan(
                split.nodes_keys,
                split.edges_keys,
                split.node_keys_in_edge,
                self.plan(split.node_type, split.node_selections) if split.node_type else None,
                _Plan([self._steps_of(split.edge, split.edge_fields)] if split.edge else []),
                _Plan([self._steps_of(split.connection, split.other_fields)]),
            )
            steps.append(_Step(key, connection=connection))
        return steps


def _children(plan: _Plan, value: Mapping[str, Any]) -> int:
    # Without knowing the runtime type of an interface or union, the costliest counts.
    walk = plan.walk
    if walk is None:
        walk = plan.walk = _walk_children(plan)
    return walk(value)


def _walk_children(plan: _Plan) -> Callable[[Mapping[str, Any]], int]:
    """`_children` of this plan as a function: the plan's steps compiled once into
    closures (a page of items walks ~1,500 values a request; the generic walk cost
    ~0.35 ms of it)."""
    if not plan.costly:
        return lambda value: 0
    per_type = [[(step.key, _walk_step(step)) for step in steps] for steps in plan.by_type if steps]

    def one_type(steps: list[tuple[str, Callable[[Any], int]]]) -> Callable[[Any], int]:
        def children(value: Mapping[str, Any]) -> int:
            total = 0
            for key, walk in steps:
                field_value = value.get(key)
                if field_value is not None:
                    total += walk(field_value)
            return total

        return children

    if len(per_type) == 1:
        return one_type(per_type[0])
    walks = [one_type(steps) for steps in per_type]
    return lambda value: max(walk(value) for walk in walks)


def _walk_step(step: _Step) -> Callable[[Any], int]:
    connection = step.connection
    if connection is not None:
        return lambda value: _connection(connection, value) if _is_mapping(value) else 0
    assert step.children is not None
    return _walk_objects(step.children)


def _walk_objects(plan: _Plan) -> Callable[[Any], int]:
    """`_objects(plan, value)` as a function of the value."""
    costly = plan.costly

    def objects(value: Any) -> int:
        if type(value) is dict:
            return 1 + _children(plan, value) if costly else 1
        if isinstance(value, list):
            # A plain list counts as one object in the estimate: its costliest element.
            best = 0
            for item in value:
                found = objects(item)
                if found > best:
                    best = found
                    if not costly:
                        break  # 1, the most an object costs here
            return best
        if not _is_mapping(value):
            return 0
        return 1 + _children(plan, value) if costly else 1

    return objects


def _connection(plan: _ConnectionPlan, value: Mapping[str, Any]) -> int:
    total = CONNECTION_OVERHEAD + _children(plan.other, value)
    sources: list[list[Any]] = [value.get(k) or [] for k in plan.nodes_keys]
    for key in plan.edges_keys:
        edges = [e for e in value.get(key) or [] if _is_mapping(e)]
        total += sum(_children(plan.edge, edge) for edge in edges)
        sources += [[edge.get(k) for edge in edges] for k in plan.node_keys_in_edge]
    if plan.items is not None:
        total += sum(1 + _children(plan.items, item) for item in _same_objects(sources))
    return total


def _is_mapping(value: Any) -> bool:
    # Results are plain dicts: skip the slower abstract-class check for them.
    return type(value) is dict or isinstance(value, Mapping)


def _same_objects(sources: list[list[Any]]) -> list[Mapping[str, Any]]:
    """The i-th node of `nodes` and of `edges { node }` is one object: merge what each got."""
    if len(sources) == 1:
        return [node for node in sources[0] if _is_mapping(node)]
    merged: list[Mapping[str, Any]] = []
    for nodes in zip_longest(*sources):
        item: Mapping[str, Any] = {}
        for node in nodes:
            if isinstance(node, Mapping):
                item = _deep_merge(item, node)
        merged.append(item)
    return merged


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
