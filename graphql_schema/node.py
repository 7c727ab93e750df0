"""Query.node: any object by its global id, within the caller's merchant."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import strawberry

from graphql_schema.context import Info
from graphql_schema.counts.types import load_count_session
from graphql_schema.ids import decode_global_id, parse_external_id
from graphql_schema.items.types import load_item
from graphql_schema.locations.types import load_location
from graphql_schema.materials.types import load_material
from graphql_schema.movements.types import load_movement
from graphql_schema.permissions import CanRead, secured
from graphql_schema.productions.types import load_production
from graphql_schema.purchase_orders.types import load_purchase_order
from graphql_schema.relay import Node
from graphql_schema.stocks.types import load_stock
from graphql_schema.transfers.types import load_transfer
from graphql_schema.vendors.types import load_vendor

NodeLoader = Callable[[Info, uuid.UUID], Awaitable[Node | None]]

NODE_LOADERS: dict[str, NodeLoader] = {
    "Location": load_location,
    "InventoryItem": load_item,
    "Material": load_material,
    "Stock": load_stock,
    "StockMovement": load_movement,
    "Vendor": load_vendor,
    "PurchaseOrder": load_purchase_order,
    "Transfer": load_transfer,
    "Production": load_production,
    "CountSession": load_count_session,
}


@strawberry.type
class NodeQueries:
    @secured(CanRead)
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_global_id(id)
        if decoded is not None:
            type_name, pk = decoded
            loader = NODE_LOADERS.get(type_name)
            return None if loader is None else await loader(info, pk)
        bare = parse_external_id(id)
        return None if bare is None else await _node_by_uuid(info, bare)


async def _node_by_uuid(info: Info, pk: uuid.UUID) -> Node | None:
    """A bare UUID names no type: ask each one (random UUIDs never repeat across tables)."""
    for loader in NODE_LOADERS.values():
        node = await loader(info, pk)
        if node is not None:
            return node
    return None
