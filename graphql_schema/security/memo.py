"""Results that depend only on a parsed document, kept across requests.

The parser cache hands every request with the same query text the same DocumentNode,
so what is computed from the document alone (a cost estimate without variables, the
plan of the actual cost) is computed once per query text. Entries hold the schema and
the document they were computed from, so an id is never mistaken for another object's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphql import DocumentNode, GraphQLSchema

V = TypeVar("V")

KEPT = 512  # as many as the schema's parser and validation caches


class DocumentMemo(Generic[V]):
    def __init__(self, size: int = KEPT) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[int, int, Hashable], tuple[object, object, V]] = OrderedDict()

    def get(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        key: Hashable,
        compute: Callable[[], V],
    ) -> V:
        """`compute()`, or what it returned before for this schema, document and key."""
        slot = (id(schema), id(document), key)
        kept = self._kept.get(slot)
        if kept is not None and kept[0] is schema and kept[1] is document:
            self._kept.move_to_end(slot)
            return kept[2]
        value = compute()
        self._kept[slot] = (schema, document, value)
        if len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return value
