"""Stocks as /v1 shows them: the stock row with its item's unit and product variant id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func

from app.db import tables as t
from app.db.queries.stocks import stocks_statement
from app.domain.enums import ItemType


@dataclass(frozen=True)
class RestStockFilter:
    location_id: uuid.UUID | None = None
    product_variant_id: uuid.UUID | None = None
    material_id: uuid.UUID | None = None
    item_type: ItemType | None = None
    low_stock_only: bool = False


def rest_stocks_statement(merchant_id: uuid.UUID, where: RestStockFilter) -> Select[Any]:
    """Stock columns plus `product_variant_id` (products) and `unit` (of the item or material)."""
    stock, item, material = t.stock, t.inventory_item, t.material
    statement = (
        stocks_statement(
            merchant_id,
            location_id=where.location_id,
            item_type=where.item_type,
            low_stock_only=where.low_stock_only,
        )
        .outerjoin(
            item, (item.c.id == stock.c.inventory_item_id) & (item.c.merchant_id == merchant_id)
        )
        .outerjoin(
            material,
            (material.c.id == stock.c.material_id) & (material.c.merchant_id == merchant_id),
        )
        .add_columns(
            item.c.product_variant_id, func.coalesce(item.c.unit, material.c.unit).label("unit")
        )
    )
    if where.product_variant_id is not None:
        statement = statement.where(item.c.product_variant_id == where.product_variant_id)
    if where.material_id is not None:
        statement = statement.where(stock.c.material_id == where.material_id)
    return statement
