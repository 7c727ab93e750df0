"""Stock: one (location, item) with its quantities, incoming orders and ledger."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry
from sqlalchemy import Row

from app.domain.enums import ItemType as DomainItemType
from app.domain.stock_rules import is_low
from app.domain.units import UnitBook
from app.services.stock_records import WrittenStock
from app.services.unit_conversion import book_from_row
from graphql_schema.context import Info
from graphql_schema.enums import ItemType
from graphql_schema.ids import node_ids, parse_id
from graphql_schema.items.types import InventoryItem, item_from_row
from graphql_schema.loaders import load_all
from graphql_schema.locations.types import Location, location_from_row
from graphql_schema.materials.types import Material, material_from_row
from graphql_schema.relay import Connection, Node

if TYPE_CHECKING:
    from graphql_schema.movements.types import StockMovement

TYPE_NAME = "Stock"
F = TypeVar("F", bound=Callable[..., Any])

StockItem = Annotated[InventoryItem | Material, strawberry.union("StockItem")]


def relation(graphql_type: object) -> Callable[[F], F]:
    """A field whose resolver answers what the page prefetched, else a loader's awaitable
    (its GraphQL type given, as the union of both is not one)."""
    return cast(Callable[[F], F], strawberry.field(graphql_type=graphql_type))


@strawberry.type
class Stock(Node):
    pk: strawberry.Private[uuid.UUID]
    location_id: strawberry.Private[uuid.UUID]
    item_id: strawberry.Private[uuid.UUID]
    item_type: ItemType
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(description="onHand - reserved")
    low_stock_threshold: Decimal | None
    version: int
    updated_at: datetime
    # Set when the page query joined the stock's relations (see stocks/page.py):
    # the resolvers then answer without a dataloader round through the event loop.
    known_location: strawberry.Private[Location | None] = None
    known_item: strawberry.Private[InventoryItem | Material | None] = None
    known_incoming: strawberry.Private[Decimal | None] = None
    # (par level, reorder point) when built from a stock row; events carry neither.
    known_par: strawberry.Private[tuple[Decimal | None, Decimal | None] | None] = None

    @relation(Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        if self.known_location is not None:
            return self.known_location
        return load_stock_location(info, self.location_id)

    @relation(StockItem)
    def item(self, info: Info) -> InventoryItem | Material | Awaitable[InventoryItem | Material]:
        if self.known_item is not None:
            return self.known_item
        return load_stock_item(info, self.item_type, self.item_id)

    # The quantities in another unit of the item (cases on hand); null: it does not convert.
    @strawberry.field
    async def on_hand_in(self, info: Info, unit: str) -> Decimal | None:
        return (await self._units(info)).from_base(self.on_hand, unit)

    @strawberry.field
    async def available_in(self, info: Info, unit: str) -> Decimal | None:
        return (await self._units(info)).from_base(self.available, unit)

    async def _units(self, info: Info) -> UnitBook:
        loaders = info.context.loaders
        loader = loaders.item if self.item_type is DomainItemType.PRODUCT else loaders.material
        row = await loader.load(self.item_id)
        assert row is not None, "a stock's item belongs to its merchant"
        return book_from_row(row.unit, row.units)

    # onHand at a moment, from the ledger (0 before the first movement).
    @strawberry.field
    async def on_hand_at(self, info: Info, at: datetime) -> Decimal:
        return await info.context.loaders.on_hand_at.load((self.pk, at))

    # What the shelf should hold after a delivery, and the level to order at (base unit).
    @strawberry.field
    async def par_level(self, info: Info) -> Decimal | None:
        return (await self._par(info))[0]

    @strawberry.field
    async def reorder_point(self, info: Info) -> Decimal | None:
        return (await self._par(info))[1]

    async def _par(self, info: Info) -> tuple[Decimal | None, Decimal | None]:
        if self.known_par is not None:
            return self.known_par
        row = await info.context.loaders.stock.load(self.pk)
        return (None, None) if row is None else (row.par_level, row.reorder_point)

    @relation(Decimal)
    def incoming(self, info: Info) -> Decimal | Awaitable[Decimal]:
        if self.known_incoming is not None:
            return self.known_incoming
        return info.context.loaders.incoming.load(self.pk)

    @strawberry.field
    def low_stock(self) -> bool:
        return is_low(self.available, self.low_stock_threshold)

    @strawberry.field
    async def movements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[StockMovement, strawberry.lazy("graphql_schema.movements.types")]]:
        from app.db.queries.movements import MovementFilter
        from graphql_schema.movements.queries import movement_connection

        return await movement_connection(
            info, MovementFilter(stock_id=self.pk), first, after, last, before
        )


async def load_stock_location(info: Info, location_id: uuid.UUID) -> Location:
    row = await info.context.loaders.location.load(location_id)
    assert row is not None, "a stock's location belongs to its merchant"
    return location_from_row(row)


async def load_stock_item(
    info: Info, item_type: DomainItemType, item_id: uuid.UUID
) -> InventoryItem | Material:
    loaders = info.context.loaders
    if item_type is DomainItemType.PRODUCT:
        row = await loaders.item.load(item_id)
        assert row is not None, "a stock's item belongs to its merchant"
        return item_from_row(row)
    row = await loaders.material.load(item_id)
    assert row is not None, "a stock's material belongs to its merchant"
    return material_from_row(row)


def stock_from_row(row: Row[Any] | WrittenStock) -> Stock:
    product = row.item_type is DomainItemType.PRODUCT
    item_id = row.inventory_item_id if product else row.material_id
    assert item_id is not None  # the table's one_item check
    global_, bare = node_ids(TYPE_NAME, row.id)
    return Stock(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=row.id,
        location_id=row.location_id,
        item_id=item_id,
        item_type=row.item_type,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        low_stock_threshold=row.low_stock_threshold,
        version=row.version,
        updated_at=row.updated_at,
        known_par=(row.par_level, row.reorder_point),
    )


async def load_stock(info: Info, pk: uuid.UUID) -> Stock | None:
    row = await info.context.loaders.stock.load(pk)
    return None if row is None else stock_from_row(row)


async def stocks_of_items(
    info: Info, item_type: DomainItemType, item_ids: list[uuid.UUID], location_id: str | None
) -> list[list[Stock]]:
    """Each item's stocks, as `stocks_of_item` answers them, in one batch of the loader."""
    location_pk = None
    if location_id is not None:
        location_pk = parse_id(location_id, "Location")
        if location_pk is None:
            return [[] for _ in item_ids]
    loader = info.context.loaders.stocks_of_item
    found = await load_all(loader, [(item_type, item_id, location_pk) for item_id in item_ids])
    return [[stock_from_row(row) for row in rows] for rows in found]


async def stocks_of_item(
    info: Info, item_type: DomainItemType, item_id: uuid.UUID, location_id: str | None
) -> list[Stock]:
    location_pk = None
    if location_id is not None:
        location_pk = parse_id(location_id, "Location")
        if location_pk is None:
            return []
    rows = await info.context.loaders.stocks_of_item.load((item_type, item_id, location_pk))
    return [stock_from_row(row) for row in rows]
