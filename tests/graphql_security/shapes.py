"""A small schema in the contract's shapes: connections with first/last, nested objects,
an interface and a union, a mutation with userErrors, and resolvers that fail on purpose."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graphql_schema.security import SecurityLimits, security_extensions

STOCKS_PER_LOCATION = 3
LEAKY_MESSAGE = "SELECT secret FROM stock WHERE id = 1 -- /srv/inventory/app/db/queries.py:42"


@dataclass
class Caller:
    key: str
    calls: list[str] = field(default_factory=list)


@strawberry.enum
class MovementType(Enum):
    SALE = "SALE"
    WASTE = "WASTE"


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool = False
    has_previous_page: bool = False
    start_cursor: str | None = None
    end_cursor: str | None = None


@strawberry.type
class Movement(Node):
    type: MovementType = MovementType.SALE


@strawberry.type
class MovementEdge:
    cursor: str
    node: Movement


@strawberry.type
class MovementConnection:
    edges: list[MovementEdge]
    nodes: list[Movement]
    page_info: PageInfo
    total_count: int


@strawberry.type
class InventoryItem(Node):
    name: str = "Latte"


@strawberry.type
class Material(Node):
    name: str = "Milk"
    unit: str = "ml"


StockItem = Annotated[InventoryItem | Material, strawberry.union("StockItem")]


@strawberry.type
class Stock(Node):
    on_hand: str = "12.500"

    @strawberry.field
    def location(self) -> Location:
        return Location(id=strawberry.ID("l1"))

    @strawberry.field
    def item(self) -> StockItem:
        return Material(id=strawberry.ID("m1"))

    @strawberry.field
    def movements(
        self, first: int | None = None, after: str | None = None, type: MovementType | None = None
    ) -> MovementConnection:
        nodes = [Movement(id=strawberry.ID(f"mv{i}")) for i in range(first or 50)]
        return MovementConnection(
            edges=[MovementEdge(cursor=n.id, node=n) for n in nodes],
            nodes=nodes,
            page_info=PageInfo(),
            total_count=len(nodes),
        )


@strawberry.type
class StockEdge:
    cursor: str
    node: Stock


@strawberry.type
class StockConnection:
    edges: list[StockEdge]
    nodes: list[Stock]
    page_info: PageInfo
    total_count: int


def _stocks(size: int) -> StockConnection:
    nodes = [Stock(id=strawberry.ID(f"s{i}")) for i in range(size)]
    return StockConnection(
        edges=[StockEdge(cursor=n.id, node=n) for n in nodes],
        nodes=nodes,
        page_info=PageInfo(),
        total_count=len(nodes),
    )


@strawberry.type
class Location(Node):
    name: str = "Main"

    @strawberry.field
    def main_stock(self) -> Stock:
        return Stock(id=strawberry.ID("s0"))

    @strawberry.field
    def stocks(self, first: int | None = None, after: str | None = None) -> StockConnection:
        return _stocks(min(first or 50, STOCKS_PER_LOCATION))


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: str


@strawberry.type
class StockPayload:
    stock: Stock | None
    user_errors: list[UserError]


@strawberry.input
class StockAdjustInput:
    stock_id: strawberry.ID
    delta: str


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"

    @strawberry.field
    def stock(self, id: strawberry.ID) -> Stock | None:
        return None if id == "missing" else Stock(id=id)

    @strawberry.field
    def location(self, id: strawberry.ID) -> Location | None:
        return Location(id=id)

    @strawberry.field
    def node(self, id: strawberry.ID) -> Node | None:
        return Stock(id=id)

    @strawberry.field
    def stocks(
        self,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> StockConnection:
        return _stocks(first or last or 50)

    @strawberry.field
    def count(self, words: list[str]) -> int:
        return len(words)

    @strawberry.field
    def boom(self) -> str:
        raise RuntimeError(LEAKY_MESSAGE)

    @strawberry.field
    def denied(self) -> str:
        raise GraphQLError("not allowed to read stock", extensions={"code": "FORBIDDEN"})


@strawberry.type
class Mutation:
    @strawberry.mutation
    def stock_adjust(self, info: strawberry.Info, input: StockAdjustInput) -> StockPayload:
        info.context.calls.append("stockAdjust")
        return StockPayload(stock=Stock(id=input.stock_id), user_errors=[])

    @strawberry.mutation
    def ping(self) -> bool:
        return True


def build(
    *,
    production: bool = False,
    limits: SecurityLimits | None = None,
    clock: Callable[[], float] | None = None,
    redis: Any = None,
    caller_key: Callable[[Any], str] = lambda caller: caller.key,
    extra: Sequence[Callable[[], SchemaExtension]] = (),
) -> strawberry.Schema:
    extensions = security_extensions(
        limits or SecurityLimits(),
        production=production,
        caller_key=caller_key,
        redis=redis,
        clock=clock,
    )
    return strawberry.Schema(
        query=Query, mutation=Mutation, types=[InventoryItem], extensions=[*extensions, *extra]
    )


def codes(result: Any) -> list[Any]:
    """The `extensions.code` of each error of a result."""
    return [(error.extensions or {}).get("code") for error in result.errors or ()]


def nested(depth: int) -> str:
    """A query exactly `depth` fields deep: stock → location → mainStock → … → id."""
    fields = ['stock(id: "s1")'] + [
        "location" if i % 2 else "mainStock" for i in range(1, depth - 1)
    ]
    return "{ " + " { ".join([*fields, "id"]) + " }" * (depth - 1) + " }"
