"""Relay connections: first/after and last/before over keyset pages, opaque cursors.

A page size above the configured maximum is an error, not a silent clamp; without first
or last a page holds the configured default number of nodes (what the cost estimate
assumes). totalCount runs its COUNT only when asked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import ColumnElement, Row, Select

from app.db.queries.keyset import KeysetPage, KeysetResult, count_rows, fetch_page
from graphql_schema.context import Context, Info
from graphql_schema.errors import bad_input
from graphql_schema.ids import decode_cursor, encode_cursor
from graphql_schema.plain_rows import plain_rows
from graphql_schema.security.limits import SecurityLimits
from graphql_schema.selected import Kept, connection_nodes, fields, per_position

T = TypeVar("T")


@strawberry.interface
class Node:
    id: strawberry.ID  # opaque global id
    uuid: strawberry.ID  # the bare UUID that events and /v1 carry for the same object


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    nodes: list[T]
    page_info: PageInfo
    # The nodes' ids, encoded into cursors only when edges are asked for.
    keys: strawberry.Private[list[uuid.UUID]]
    type_name: strawberry.Private[str]
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def edges(self) -> list[Edge[T]]:
        return [
            Edge(cursor=encode_cursor(self.type_name, key), node=node)
            for key, node in zip(self.keys, self.nodes, strict=True)
        ]

    @strawberry.field
    async def total_count(self) -> int:
        return await self.counter()


@dataclass(frozen=True)
class PageRequest:
    """Validated paging arguments of one connection field."""

    type_name: str
    keyset: KeysetPage

    @property
    def backward(self) -> bool:
        return self.keyset.backward


def page_request(
    type_name: str,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    *,
    limits: SecurityLimits,
) -> PageRequest:
    """Check first/after/last/before; a bad cursor or size is a BAD_USER_INPUT error."""
    if first is not None and last is not None:
        raise bad_input("give either first or last, not both")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= limits.max_page_size:
            raise bad_input(f"{name} must be between 0 and {limits.max_page_size}, got {size}")
    after_id = _cursor(after, type_name, "after")
    before_id = _cursor(before, type_name, "before")
    backward = last is not None
    limit = (last if backward else first) or 0
    if first is None and last is None:
        limit = limits.default_page_size
    return PageRequest(type_name, KeysetPage(limit, after_id, before_id, backward))


def _cursor(value: str | None, type_name: str, name: str) -> uuid.UUID | None:
    if value is None:
        return None
    pk = decode_cursor(value, type_name)
    if pk is None:
        raise bad_input(f"{name} is not a cursor of this connection")
    return pk


def build_connection(
    request: PageRequest,
    result: KeysetResult,
    to_node: Callable[[Row[Any]], T],
    counter: Callable[[], Awaitable[int]],
) -> Connection[T]:
    rows = plain_rows(result.rows)
    nodes = [to_node(row) for row in rows]
    keys = [row.id for row in rows]
    return connection_of(request, nodes, keys, result.has_more, counter)


def connection_of(
    request: PageRequest,
    nodes: Sequence[T],
    keys: list[uuid.UUID],
    has_more: bool,
    counter: Callable[[], Awaitable[int]],
) -> Connection[T]:
    page = request.keyset
    type_name = request.type_name
    info = PageInfo(
        # Beyond the page in the direction of travel we know exactly; behind it, a cursor
        # given means the row it names (and so at least one) lies there.
        has_next_page=has_more if not page.backward else page.before is not None,
        has_previous_page=has_more if page.backward else page.after is not None,
        start_cursor=encode_cursor(type_name, keys[0]) if keys else None,
        end_cursor=encode_cursor(type_name, keys[-1]) if keys else None,
    )
    return Connection(
        nodes=list(nodes), page_info=info, keys=keys, type_name=type_name, counter=counter
    )


async def keyset_connection(
    context: Context,
    request: PageRequest,
    statement: Select[Any],
    id_column: ColumnElement[uuid.UUID],
    to_node: Callable[[Row[Any]], T],
) -> Connection[T]:
    """A page of `statement` (already scoped to the merchant) as a connection."""
    result = await context.read(
        lambda session: fetch_page(session, statement, id_column, request.keyset)
    )

    async def counter() -> int:
        return await context.read(lambda session: count_rows(session, statement))

    return build_connection(request, result, to_node, counter)


def node_selection(info: Info) -> Mapping[str, frozenset[str]]:
    """The fields a query selects on this connection's nodes (nodes and edges.node), each
    with the names of the fields selected under it (empty for a leaf), through fragments
    (a union's or interface's fragments merged). Names only, whatever the variables: kept
    per operation and position."""
    return per_position(_NODE_SELECTIONS, info, _node_selection)


_NODE_SELECTIONS: Kept[dict[str, frozenset[str]]] = {}


def _node_selection(info: Info) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for connection in info.selected_fields:
        for node in connection_nodes(connection.selections):
            for field in fields(node.selections):
                found.setdefault(field.name, set()).update(f.name for f in fields(field.selections))
    return {name: frozenset(below) for name, below in found.items()}
