"""A document is validated once however often it is sent (validation_memo.py), and its
errors answer every request that sends it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.settings import Settings
from graphql_schema import validation_memo
from tests.graphql.conftest import Gql


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    if not Settings().graphql_fast_execution:
        # .ci/run's pass with the fast paths off serves Strawberry's ValidationCache.
        pytest.skip("the document memo is off (GRAPHQL_FAST_EXECUTION=false)")
    seen: list[Any] = []
    validate = validation_memo.validate_document

    def counted(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document)
        return validate(schema, document, rules)

    monkeypatch.setattr(validation_memo, "validate_document", counted)
    return seen


async def test_a_document_sent_again_is_not_validated_again(
    gql: Gql, validations: list[Any]
) -> None:
    # A query text no other test sends, so no earlier validation is kept for it.
    query = f"{{ a{uuid.uuid4().hex}: locations(first: 1) {{ nodes {{ id }} }} }}"

    first = await gql(query)
    second = await gql(query)

    assert first.errors is None
    assert second.errors is None
    assert len(validations) == 1


async def test_an_invalid_document_is_refused_each_time(gql: Gql, validations: list[Any]) -> None:
    query = f"{{ locations {{ nodes {{ no{uuid.uuid4().hex} }} }} }}"

    answers = [await gql(query) for _ in range(2)]

    for answer in answers:
        assert answer.errors
        assert "Cannot query field" in answer.errors[0].message
    assert len(validations) == 1
