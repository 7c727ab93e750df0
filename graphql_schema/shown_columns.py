"""The columns a selection shows, for reads that leave the others NULL.

A materials page, a page's recipe lines with their materials and the stocks of a page's
items read only the columns their selection's fields take values from: asyncpg decoding
timestamps, numbers and uuids nobody asked for was most of those reads' CPU (a page's
300 recipe lines: ~0.7 ms). The map of fields to columns is the stocks page's
(`FIELD_COLUMNS` below, tested field by field in test_page_columns and test_shown_columns):
a field it does not name reads every column. Rows read this way must never reach a cache that
another selection reads (the loaders'), which could show the columns left NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import lru_cache

from graphql_schema.context import Info
from graphql_schema.selected import Kept, connection_nodes, fields, per_position

Below = Mapping[str, frozenset[str]]


def fields_below(info: Info) -> Below:
    """The fields selected under this field (through fragments), each with the names of
    the fields selected under it (empty for a leaf). Names only, whatever the variables:
    kept per operation and position."""
    return per_position(_BELOW, info, _fields_below)


def _fields_below(info: Info) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for field in info.selected_fields:
        for below in fields(field.selections):
            found.setdefault(below.name, set()).update(f.name for f in fields(below.selections))
    return {name: frozenset(names) for name, names in found.items()}


def node_fields_given_arguments(info: Info) -> frozenset[str]:
    """The names of this connection's node fields (nodes or edges.node, through
    fragments) given an argument anywhere in the selection: kept per operation and
    position, like `fields_below`."""
    return per_position(_GIVEN, info, _node_fields_given_arguments)


def _node_fields_given_arguments(info: Info) -> frozenset[str]:
    return frozenset(
        field.name
        for connection in info.selected_fields
        for node in connection_nodes(connection.selections)
        for field in fields(node.selections)
        if field.arguments
    )


_BELOW: Kept[dict[str, frozenset[str]]] = {}
_GIVEN: Kept[frozenset[str]] = {}


# For each table, the columns (besides those always read) that each GraphQL field of its
# type takes its value from, through the table's *_from_row builder. A field absent here
# reads all of them. `_ALWAYS` are read whatever the selection (what builds the node).
_ALWAYS = {
    "stock": {
        "id",
        "location_id",
        "item_type",
        "inventory_item_id",
        "material_id",
        "on_hand",
        "reserved",
        "available",
        "low_stock_threshold",
    },
    "location": {"id"},
    "inventory_item": {"id"},
    "material": {"id"},
}
_NONE: tuple[str, ...] = ()
FIELD_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "stock": {
        "__typename": _NONE,
        "id": _NONE,
        "uuid": _NONE,
        "itemType": _NONE,
        "onHand": _NONE,
        "reserved": _NONE,
        "available": _NONE,
        "lowStockThreshold": _NONE,
        "lowStock": _NONE,
        "version": ("version",),
        "updatedAt": ("updated_at",),
        "location": _NONE,
        "item": _NONE,
        "incoming": _NONE,
        # From loaders, by the stock's or item's id.
        "onHandIn": _NONE,
        "availableIn": _NONE,
        "onHandAt": _NONE,
        "movements": _NONE,
        "parLevel": ("par_level", "reorder_point"),
        "reorderPoint": ("par_level", "reorder_point"),
    },
    "location": {
        "__typename": _NONE,
        "id": _NONE,
        "uuid": _NONE,
        "name": ("name",),
        "code": ("code",),
        "address": ("address",),
        "isDefault": ("is_default",),
        "archived": ("archived",),
        "createdAt": ("created_at",),
        "stocks": _NONE,
    },
    "inventory_item": {
        "__typename": _NONE,
        "id": _NONE,
        "uuid": _NONE,
        "productVariantId": ("product_variant_id",),
        "sku": ("sku",),
        "name": ("name",),
        "trackInventory": ("track_inventory",),
        "unit": ("unit",),
        "archived": ("archived",),
        "createdAt": ("created_at",),
        "updatedAt": ("updated_at",),
        "averageUnitCost": ("average_unit_cost",),
        "units": ("unit", "units"),
        "recipe": ("product_variant_id",),
        "stocks": _NONE,
        "availableToSell": _NONE,
    },
    "material": {
        "__typename": _NONE,
        "id": _NONE,
        "uuid": _NONE,
        "name": ("name",),
        "sku": ("sku",),
        "unit": ("unit",),
        "archived": ("archived",),
        "averageUnitCost": ("average_unit_cost",),
        "createdAt": ("created_at",),
        "updatedAt": ("updated_at",),
        "units": ("unit", "units"),
        "prepRecipe": _NONE,
        "producible": _NONE,
        "stocks": _NONE,
    },
}


@lru_cache(maxsize=256)
def columns_for(tables: tuple[str, ...], fields: frozenset[str]) -> frozenset[str] | None:
    """The columns of the first of `tables` that `fields` (selected on any of them: a
    union's fragments) read; None (all) when one of them is a field of none."""
    wanted = set(_ALWAYS[tables[0]])
    own = FIELD_COLUMNS[tables[0]]
    for name in fields:
        columns = own.get(name)
        if columns is not None:
            wanted.update(columns)
        elif not any(name in FIELD_COLUMNS[other] for other in tables[1:]):
            return None
    return frozenset(wanted)


def shown_columns(table: str, fields: frozenset[str]) -> frozenset[str] | None:
    """The columns of `table` ("stock", "material", ...) that these fields of its type
    read, with those that build its object; None (all) when one is not in the map."""
    return columns_for((table,), fields)


def columns_of(table: str, fields: AbstractSet[str]) -> frozenset[str] | None:
    return shown_columns(table, frozenset(fields))
