"""Which GraphQL operations the response cache may keep, decided from the text alone.

The root fields must all be reads of merchant data (CACHEABLE_ROOT_FIELDS); the
actions their permission classes require are what a hit asks identity again. Plans
are memoized per (document text, operation name), bounded, so a repeated request is
not parsed here again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import strawberry
from graphql import FieldNode, GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from strawberry.permission import BasePermission

from app.auth.actions import Action
from graphql_schema.permissions import _ActionPermission

# Reads of merchant data only. Not ledgerCheck: it reports when it ran (checked_at)
# and is an audit that must look at the ledger now.
CACHEABLE_ROOT_FIELDS = frozenset(
    {
        "node",
        "locations",
        "location",
        "inventoryItems",
        "inventoryItem",
        "materials",
        "material",
        "stocks",
        "stock",
        "stockMovements",
        "vendors",
        "purchaseOrders",
        "purchaseOrder",
        "transfers",
        "productions",
        "modifierRecipe",
        "__typename",
    }
)
PLANS_KEPT = 512


@dataclass(frozen=True, slots=True)
class Plan:
    """What the document's operation is, from its text alone."""

    operation_type: OperationType | None
    name: str | None
    # The actions its root fields require, or None when it is not cacheable.
    actions: frozenset[Action] | None


class Plans:
    def __init__(self, schema: strawberry.Schema) -> None:
        self._root_actions = root_field_actions(schema)
        self._plans: OrderedDict[tuple[str, str | None], Plan] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Plan:
        """The plan of the text, parsed the first time it is seen."""
        slot = (query, operation_name)
        plan = self._plans.get(slot)
        if plan is not None:
            self._plans.move_to_end(slot)
            return plan
        plan = self._plans[slot] = plan_operation(query, operation_name, self._root_actions)
        if len(self._plans) > PLANS_KEPT:
            self._plans.popitem(last=False)
        return plan


def plan_operation(
    query: str, operation_name: str | None, root_actions: dict[str, frozenset[Action]]
) -> Plan:
    """The operation's type, name and (when cacheable) the actions its root fields need."""
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return Plan(None, None, None)
    if operation is None:
        return Plan(None, None, None)
    name = operation.name.value if operation.name else None
    if operation.operation is not OperationType.QUERY:
        return Plan(operation.operation, name, None)
    actions: set[Action] = set()
    for selection in operation.selection_set.selections:
        # Fragments at the root: not worth following (rare); left uncached.
        if not isinstance(selection, FieldNode):
            return Plan(operation.operation, name, None)
        field = selection.name.value
        if field not in CACHEABLE_ROOT_FIELDS:
            return Plan(operation.operation, name, None)
        if field != "__typename":
            required = root_actions.get(field)
            if required is None:
                return Plan(operation.operation, name, None)
            actions |= required
    return Plan(operation.operation, name, frozenset(actions))


def root_field_actions(schema: strawberry.Schema) -> dict[str, frozenset[Action]]:
    """The actions each root query field's permission classes require (by GraphQL name).

    A field with a permission class that is not one of ours (an action check) is left
    out, so it is never cached: a hit could not check it.
    """
    definition = schema.get_type_by_name("Query")
    found: dict[str, frozenset[Action]] = {}
    for field in getattr(definition, "fields", ()):
        classes: Sequence[type[BasePermission]] = field.permission_classes or ()
        if not all(issubclass(cls, _ActionPermission) for cls in classes):
            continue
        name = schema.config.name_converter.get_graphql_name(field)
        found[name] = frozenset(cls.action for cls in classes if issubclass(cls, _ActionPermission))
    return found
