"""Request bodies and query strings of /v1, validated before any service is called."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from app.domain.enums import ItemType, ReferenceType
from app.rest.v1.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.rest.v1.wire import NO_NUL_PATTERN, QuantityIn, QueryModel, RequestModel

Text = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL_PATTERN)]
Unit = Annotated[str, StringConstraints(max_length=16, pattern=NO_NUL_PATTERN)]
Sku = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL_PATTERN)]
Method = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL_PATTERN)]


class InitialStockIn(RequestModel):
    location_id: uuid.UUID
    quantity: QuantityIn


class ProductVariantCreate(RequestModel):
    product_variant_id: uuid.UUID
    merchant_id: uuid.UUID | None = Field(
        default=None, description="Required with a service token that names no merchant."
    )
    sku: Sku | None = None
    name: Text
    track_inventory: bool
    unit: Unit | None = None
    initial_stocks: Annotated[list[InitialStockIn], Field(max_length=500)] = []


class ProductVariantUpdate(RequestModel):
    """Any subset of the fields; an absent or null field keeps what is stored."""

    merchant_id: uuid.UUID | None = Field(
        default=None, description="Required with a service token that names no merchant."
    )
    sku: Sku | None = None
    name: Text | None = None
    track_inventory: bool | None = None
    unit: Unit | None = None
    archived: bool | None = None


class ReceiveLineIn(RequestModel):
    line_id: uuid.UUID
    quantity_received: QuantityIn
    unit_cost: QuantityIn | None = None  # per `unit`
    unit: Text | None = None  # default: the line's unit


class PaymentIn(RequestModel):
    method: Method
    amount: QuantityIn
    paid_at: AwareDatetime | None = None
    reference: Text | None = None


class PurchaseOrderReceive(RequestModel):
    """Without lines everything is received as ordered; unlisted lines are received as 0."""

    lines: Annotated[list[ReceiveLineIn], Field(max_length=1000)] | None = None
    payments: Annotated[list[PaymentIn], Field(max_length=100)] = []


Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str, StringConstraints(max_length=200)]


class PageQuery(QueryModel):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = Field(default=None, description="nextCursor of the previous page.")


class LocationsQuery(PageQuery):
    include_archived: bool = False


class StocksQuery(PageQuery):
    location_id: uuid.UUID | None = None
    product_variant_id: uuid.UUID | None = None
    material_id: uuid.UUID | None = None
    item_type: ItemType | None = None
    low_stock_only: bool = False


class MovementsQuery(PageQuery):
    stock_id: uuid.UUID | None = None
    reference_type: ReferenceType | None = None
    reference_id: Text | None = None
    since: AwareDatetime | None = Field(default=None, description="occurredAt ≥ since")
