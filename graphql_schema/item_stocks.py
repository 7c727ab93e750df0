"""The stocks of a column of inventory items or materials (their `stocks` field on a
page), reading only the stock columns the field's selection shows (`STOCK_FIELD_COLUMNS`; see
graphql_schema/shown_columns.py), in one statement for the column.

Read apart from the stocks_of_item loader, whose rows (every column) other selections
of the request may be answered from; and without its future per key (load_all primes
one per item), as the column is the whole batch. A selection with a field the column
map does not name is answered by the loader, as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from app.db.queries import stocks as stock_reads
from app.domain.enums import ItemType
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.shown_columns import Below, fields_below, node_fields_given_arguments
from graphql_schema.stocks.types import Stock, stock_from_row, stocks_of_items

# Stock's fields, each with the stock columns stock_from_row takes its value from; the id
# and the item's column are always read, item_type is the read's constant (the item
# type asked). Finer than the stocks page's map (whose _ALWAYS serves its joins).
_NONE: tuple[str, ...] = ()
STOCK_FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "__typename": _NONE,
    "id": _NONE,
    "uuid": _NONE,
    "itemType": _NONE,
    "onHand": ("on_hand",),
    "reserved": ("reserved",),
    "available": ("available",),
    "lowStockThreshold": ("low_stock_threshold",),
    "lowStock": ("available", "low_stock_threshold"),
    "version": ("version",),
    "updatedAt": ("updated_at",),
    "location": ("location_id",),
    "item": _NONE,
    "incoming": _NONE,
    "onHandIn": ("on_hand",),
    "availableIn": ("available",),
    "onHandAt": _NONE,
    "movements": _NONE,
    "parLevel": ("par_level", "reorder_point"),
    "reorderPoint": ("par_level", "reorder_point"),
}
_ALWAYS = frozenset({"id"})


@lru_cache(maxsize=256)
def stock_columns(fields: frozenset[str]) -> frozenset[str] | None:
    """The stock columns these Stock fields read; None (all) when one is not mapped."""
    columns = set(_ALWAYS)
    for name in fields:
        read = STOCK_FIELD_COLUMNS.get(name)
        if read is None:
            return None
        columns.update(read)
    return frozenset(columns)


def stocks_read_with_page(info: Info, wanted: Below) -> frozenset[str] | None:
    """The stock columns a page (`info`: its connection's) reads with its items when its
    nodes select `stocks` without arguments (at every location: what their stocks field
    answers from the page's read), showing only mapped fields; else None."""
    if "stocks" not in wanted or "stocks" in node_fields_given_arguments(info):
        return None
    return stock_columns(wanted["stocks"])


def known_stocks(items: Sequence[Any], location_id: str | None) -> list[list[Stock]] | None:
    """The stocks of a column of items or materials when their page read them (each
    `known_stock_rows`) and no location narrows them; else None."""
    if location_id is not None:
        return None
    known = [item.known_stock_rows for item in items]
    if any(rows is None for rows in known):
        return None
    return [[stock_from_row(row) for row in rows or ()] for rows in known]


async def shown_stocks_of_items(
    info: Info, item_type: ItemType, item_ids: list[uuid.UUID], location_id: str | None
) -> list[list[Stock]]:
    """Each item's stocks as `stocks_of_item` answers them (`info`: the stocks field's)."""
    columns = stock_columns(frozenset(fields_below(info)))
    if columns is None:
        return await stocks_of_items(info, item_type, item_ids, location_id)
    location_pk = None
    if location_id is not None:
        location_pk = parse_id(location_id, "Location")
        if location_pk is None:
            return [[] for _ in item_ids]
    context = info.context
    merchant_id = context.merchant_id
    found = await context.read_driver(
        lambda unit: stock_reads.stocks_of_items(
            unit, merchant_id, item_type, item_ids, location_pk, columns
        )
    )
    none: list[Any] = []
    return [[stock_from_row(row) for row in found.get(pk, none)] for pk in item_ids]
