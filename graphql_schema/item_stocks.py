"""The stocks of a column of inventory items or materials (their `stocks` field on a
page), reading only the stock columns the field's selection shows (graphql_schema/
shown_columns.py), in one statement for the column.

Read apart from the stocks_of_item loader, whose rows (every column) other selections
of the request may be answered from; and without its future per key (load_all primes
one per item), as the column is the whole batch. A selection with a field the column
map does not name is answered by the loader, as before.
"""

from __future__ import annotations

import uuid
from typing import Any

from app.db.queries import stocks as stock_reads
from app.domain.enums import ItemType
from graphql_schema.context import Info
from graphql_schema.ids import parse_id
from graphql_schema.shown_columns import columns_of, fields_below
from graphql_schema.stocks.types import Stock, stock_from_row, stocks_of_items


async def shown_stocks_of_items(
    info: Info, item_type: ItemType, item_ids: list[uuid.UUID], location_id: str | None
) -> list[list[Stock]]:
    """Each item's stocks as `stocks_of_item` answers them (`info`: the stocks field's)."""
    columns = columns_of("stock", fields_below(info).keys())
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
