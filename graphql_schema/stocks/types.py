"""Stock: one (location, item) with its quantities, incoming orders and ledger."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

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
from graphql_schema.list_plan.batch import batched
from graphql_schema.loaders import load_all
from graphql_schema.locations.types import Location, location_from_row
from graphql_schema.materials.types import Material, material_from_row
from graphql_schema.relay import Connection, Node

if TYPE_CHECKING:
    from graphql_schema.movements.types import StockMovement

TYPE_NAME = "Stock"

StockItem = Annotated[InventoryItem | Material, strawberry.union("StockItem")]


# Stock's relations and lowStock for a whole list (list_plan/batch.py), as their
# resolvers below answer each.
def _locations(stocks: list[Stock], info: Info) -> list[Location | Awaitable[Location]]:
    return [
        stock.known_location
        if stock.known_location is not None
        else load_stock_location(info, stock.location_id)
        for stock in stocks
    ]


def _items(
    stocks: list[Stock], info: Info
) -> list[InventoryItem | Material | Awaitable[InventoryItem | Material]]:
    return [
        stock.known_item
        if stock.known_item is not None
        else load_stock_item(info, stock.item_type, stock.item_id)
        for stock in stocks
    ]


def _incoming(stocks: list[Stock], info: Info) -> list[Decimal | Awaitable[Decimal]]:
    load = info.context.loaders.incoming.load
    return [
        stock.known_incoming if stock.known_incoming is not None else load(stock.pk)
        for stock in stocks
    ]


async def _movements(
    stocks: list[Stock],
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> list[Connection[StockMovement]]:
    from graphql_schema.movements.queries import movement_connections

    return await movement_connections(
        info, [stock.pk for stock in stocks], first, after, last, before
    )


def _low_stock(stocks: list[Stock], info: Info) -> list[bool]:
    return [is_low(stock.available, stock.low_stock_threshold) for stock in stocks]


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

    # The relations answer what the page prefetched, else a loader's awaitable (their
    # GraphQL types given, as the union of both is not one); the list plan resolves them
    # for a whole list at once (the columns above: no call per stock).
    @batched(_locations, Location)
    def location(self, info: Info) -> Location | Awaitable[Location]:
        if self.known_location is not None:
            return self.known_location
        return load_stock_location(info, self.location_id)

    @batched(_items, StockItem)
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

    @batched(_incoming, Decimal)
    def incoming(self, info: Info) -> Decimal | Awaitable[Decimal]:
        if self.known_incoming is not None:
            return self.known_incoming
        return info.context.loaders.incoming.load(self.pk)

    @batched(_low_stock)
    def low_stock(self) -> bool:
        return is_low(self.available, self.low_stock_threshold)

    @batched(_movements)
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


# The stock table's columns a Stock is built from, in the table's order: a page's record
# sliced to them is `stock_of`'s arguments (graphql_schema/stocks/page.py).
STOCK_COLUMNS = (
    "id",
    "location_id",
    "item_type",
    "inventory_item_id",
    "material_id",
    "on_hand",
    "reserved",
    "available",
    "low_stock_threshold",
    "par_level",
    "reorder_point",
    "version",
    "updated_at",
)
# The enum by its text, and by itself (a StrEnum member hashes and compares as its text):
# a record from the driver carries the text, a SQLAlchemy row the member.
_ITEM_TYPES = {member.value: member for member in DomainItemType}


def stock_of(
    pk: uuid.UUID,
    location_id: uuid.UUID,
    item_type: DomainItemType | str,
    inventory_item_id: uuid.UUID | None,
    material_id: uuid.UUID | None,
    on_hand: Decimal,
    reserved: Decimal,
    available: Decimal,
    low_stock_threshold: Decimal | None,
    par_level: Decimal | None,
    reorder_point: Decimal | None,
    version: int,
    updated_at: datetime,
) -> Stock:
    """A Stock from the columns of STOCK_COLUMNS, in their order."""
    kind = _ITEM_TYPES[item_type]
    item_id = inventory_item_id if kind is DomainItemType.PRODUCT else material_id
    assert item_id is not None  # the table's one_item check
    global_, bare = node_ids(TYPE_NAME, pk)
    return Stock(
        id=strawberry.ID(global_),
        uuid=strawberry.ID(bare),
        pk=pk,
        location_id=location_id,
        item_id=item_id,
        item_type=kind,
        on_hand=on_hand,
        reserved=reserved,
        available=available,
        low_stock_threshold=low_stock_threshold,
        version=version,
        updated_at=updated_at,
        known_par=(par_level, reorder_point),
    )


def stock_from_row(row: Row[Any] | WrittenStock) -> Stock:
    return stock_of(
        row.id,
        row.location_id,
        row.item_type,
        row.inventory_item_id,
        row.material_id,
        row.on_hand,
        row.reserved,
        row.available,
        row.low_stock_threshold,
        row.par_level,
        row.reorder_point,
        row.version,
        row.updated_at,
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
