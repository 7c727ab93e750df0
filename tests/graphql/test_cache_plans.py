"""What the response cache may keep: decided from the schema and the document text."""

from __future__ import annotations

import strawberry
from graphql import OperationType
from strawberry.types.base import StrawberryObjectDefinition

from app.auth.actions import Action
from graphql_schema.cache_plans import CACHEABLE_ROOT_FIELDS, Plans, root_field_actions


def test_permission_classes_sit_on_root_fields_only(schema: strawberry.Schema) -> None:
    """A cached page is shared by every principal of a merchant whose role may read:
    nothing below a root field may check the principal."""
    roots = {schema.query, schema.mutation, schema.subscription}
    checked = []
    for type_ in schema.schema_converter.type_map.values():
        definition = type_.definition
        if not isinstance(definition, StrawberryObjectDefinition) or definition.origin in roots:
            continue
        for field in definition.fields:
            assert not field.permission_classes, f"{definition.name}.{field.name}"
            checked.append(field)
    assert len(checked) > 100


def test_every_cacheable_root_field_needs_read_only(schema: strawberry.Schema) -> None:
    actions = root_field_actions(schema)
    for name in CACHEABLE_ROOT_FIELDS - {"__typename"}:
        assert actions[name] == frozenset({Action.READ}), name
    assert "ledgerCheck" not in CACHEABLE_ROOT_FIELDS


def test_plans(schema: strawberry.Schema) -> None:
    plans = Plans(schema)
    page = plans.get("query P { stocks(first: 1) { nodes { id } } __typename }", None)
    assert page.operation_type is OperationType.QUERY
    assert page.name == "P"
    assert page.actions == frozenset({Action.READ})
    assert plans.get("{ ledgerCheck { stocksChecked } }", None).actions is None
    assert (
        plans.get("query { ...F } fragment F on Query { stocks { nodes { id } } }", None).actions
        is None
    )
    mutation = plans.get('mutation { locationArchive(id: "x") { location { id } } }', None)
    assert mutation.operation_type is OperationType.MUTATION
    assert mutation.actions is None
    assert plans.get("{ stocks(", None).operation_type is None
    two = (
        "query A { stocks { nodes { id } } }"
        " mutation B { locationArchive(id: 1) { location { id } } }"
    )
    assert plans.get(two, "A").actions == frozenset({Action.READ})
    assert plans.get(two, "B").operation_type is OperationType.MUTATION
    assert plans.get(two, None).operation_type is None  # ambiguous: Strawberry refuses it
