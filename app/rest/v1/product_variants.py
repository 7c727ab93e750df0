"""Product-variant routes: commerce's create/update over the upsert CDC also converges on."""

from __future__ import annotations

import uuid

from app.db import tables as t
from app.db.queries.incoming import incoming_by_stock_id
from app.db.queries.items import items_by_product_variant
from app.db.queries.rest_stocks import RestStockFilter, rest_stocks_statement
from app.domain.errors import DomainError, UserErrorCode
from app.rest.v1.endpoint import Call, Reply
from app.rest.v1.responses import InventoryItem, item_from_row, stock_from_row
from app.rest.v1.schemas import ProductVariantCreate, ProductVariantUpdate
from app.services.inventory_items import (
    InitialStock,
    ProductVariantUpsert,
    ensure_inventory_item,
)

PATH_PARAM = "productVariantId"


async def create_product_variant(call: Call) -> Reply:
    body = call.body_as(ProductVariantCreate)
    result = await ensure_inventory_item(
        call.sessions,
        ProductVariantUpsert(
            merchant_id=call.merchant_id,
            product_variant_id=body.product_variant_id,
            name=body.name,
            sku=body.sku,
            track_inventory=body.track_inventory,
            unit=body.unit,
        ),
        actor=call.actor,
        initial_stocks=[InitialStock(s.location_id, s.quantity) for s in body.initial_stocks],
        idempotency_key=call.idempotency_key,
    )
    item = await load_item(call, body.product_variant_id)
    return Reply(201 if result.created else 200, item)


async def update_product_variant(call: Call) -> Reply:
    body = call.body_as(ProductVariantUpdate)
    product_variant_id = call.path[PATH_PARAM]
    result = await ensure_inventory_item(
        call.sessions,
        ProductVariantUpsert(
            merchant_id=call.merchant_id,
            product_variant_id=product_variant_id,
            name=body.name,
            sku=body.sku,
            track_inventory=body.track_inventory,
            unit=body.unit,
            archived=body.archived,
        ),
        actor=call.actor,
        idempotency_key=call.idempotency_key,
    )
    item = await load_item(call, product_variant_id)
    return Reply(201 if result.created else 200, item)


async def get_product_variant(call: Call) -> Reply:
    return Reply(200, await load_item(call, call.path[PATH_PARAM]))


async def load_item(call: Call, product_variant_id: uuid.UUID) -> InventoryItem:
    """The merchant's item of the variant with its stocks (NOT_FOUND when there is none)."""
    async with call.sessions.begin() as session:
        found = await items_by_product_variant(session, call.merchant_id, [product_variant_id])
        row = found.get(product_variant_id)
        if row is None:
            raise DomainError.one(
                UserErrorCode.NOT_FOUND,
                f"product variant {product_variant_id} not found",
                (PATH_PARAM,),
            )
        statement = rest_stocks_statement(
            call.merchant_id, RestStockFilter(product_variant_id=product_variant_id)
        ).order_by(t.stock.c.id)
        stocks = list(await session.execute(statement))
        incoming = await incoming_by_stock_id(session, call.merchant_id, [s.id for s in stocks])
    return item_from_row(row, [stock_from_row(s, incoming[s.id]) for s in stocks])


__all__ = ["create_product_variant", "get_product_variant", "update_product_variant"]
