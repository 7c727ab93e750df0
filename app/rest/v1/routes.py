"""The /v1 route table and the ASGI app serving it (mounted by app.asgi).

The same table drives the router and the OpenAPI document, so they cannot drift.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.actions import Action
from app.body_limit import BodyLimitMiddleware
from app.rest.v1 import product_variants, purchase_orders, reads
from app.rest.v1.endpoint import Operation, perform
from app.rest.v1.errors import ApiError
from app.rest.v1.openapi import OPENAPI_PATH, openapi_document
from app.rest.v1.responses import (
    InventoryItem,
    LocationPage,
    MovementPage,
    PurchaseOrder,
    StockPage,
)
from app.rest.v1.schemas import (
    LocationsQuery,
    MovementsQuery,
    ProductVariantCreate,
    ProductVariantUpdate,
    PurchaseOrderReceive,
    StocksQuery,
)
from app.settings import Settings

PREFIX = "/v1"
BASE = f"{PREFIX}/api/inventory"
READ_ERRORS = (400, 401, 403, 404, 503)
WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 503)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        f"{BASE}/product-variants",
        "createInventoryForProductVariant",
        "Create (or return) the inventory item of a product variant",
        Action.PRODUCT_VARIANT_SYNC,
        product_variants.create_product_variant,
        {201: (InventoryItem, "created"), 200: (InventoryItem, "it already existed")},
        WRITE_ERRORS,
        body=ProductVariantCreate,
        idempotent=True,
        description="The upsert the product-variant CDC also converges on. Atomic: on any "
        "error nothing is written. initialStocks apply only when the item is created.",
    ),
    Operation(
        "PUT",
        f"{BASE}/product-variants/{{productVariantId}}",
        "updateInventoryForProductVariant",
        "Update the inventory item of a product variant, creating it when missing",
        Action.PRODUCT_VARIANT_SYNC,
        product_variants.update_product_variant,
        {200: (InventoryItem, "updated"), 201: (InventoryItem, "created")},
        WRITE_ERRORS,
        body=ProductVariantUpdate,
        idempotent=True,
    ),
    Operation(
        "GET",
        f"{BASE}/product-variants/{{productVariantId}}",
        "getInventoryForProductVariant",
        "The inventory item of a product variant with its stocks per location",
        Action.READ,
        product_variants.get_product_variant,
        {200: (InventoryItem, "the item")},
        READ_ERRORS,
    ),
    Operation(
        "GET",
        f"{BASE}/stocks",
        "listStocks",
        "Stocks, filtered, one page at a time",
        Action.READ,
        reads.list_stocks,
        {200: (StockPage, "a page of stocks in creation order")},
        READ_ERRORS,
        query=StocksQuery,
    ),
    Operation(
        "GET",
        f"{BASE}/locations",
        "listLocations",
        "The merchant's locations",
        Action.READ,
        reads.list_locations,
        {200: (LocationPage, "a page of locations in creation order")},
        READ_ERRORS,
        query=LocationsQuery,
    ),
    Operation(
        "POST",
        f"{BASE}/purchase-orders/{{purchaseOrderId}}/receive",
        "receivePurchaseOrder",
        "Receive a purchase order: stock, average cost, vendor snapshot, payments",
        Action.PURCHASE_ORDER_RECEIVE,
        purchase_orders.receive,
        {200: (PurchaseOrder, "the received purchase order")},
        WRITE_ERRORS,
        body=PurchaseOrderReceive,
        idempotent=True,
        description="409 INVALID_STATE when the order is already received or cancelled.",
        renames={("id",): ("purchaseOrderId",)},
    ),
    Operation(
        "GET",
        f"{BASE}/movements",
        "listMovements",
        "Ledger movements, filtered, one page at a time",
        Action.READ,
        reads.list_movements,
        {200: (MovementPage, "a page of movements in the order they happened")},
        READ_ERRORS,
        query=MovementsQuery,
    ),
)


def operation_routes(operations: Sequence[Operation]) -> list[BaseRoute]:
    """One route per path, so a wrong method answers 405 with every allowed one."""
    by_path: dict[str, dict[str, Operation]] = defaultdict(dict)
    for operation in operations:
        by_path[operation.path.removeprefix(PREFIX)][operation.method] = operation
    return [_route(path, methods) for path, methods in by_path.items()]


def _route(path: str, methods: dict[str, Operation]) -> Route:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await perform(methods[method], request)

    return Route(path, endpoint, methods=list(methods), name=path)


class JsonHttpErrors:
    """Router 404/405s in the /v1 error shape instead of plain text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except HTTPException as exc:
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "INVALID")
            error = ApiError(exc.status_code, code, exc.detail, headers=exc.headers)
            await error.response()(scope, receive, send)


def v1_app(settings: Settings) -> ASGIApp:
    document = openapi_document(OPERATIONS)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    router = Router(
        routes=[*operation_routes(OPERATIONS), Route(OPENAPI_PATH, openapi, methods=["GET"])],
        redirect_slashes=False,
    )
    return BodyLimitMiddleware(
        JsonHttpErrors(router), max_bytes=settings.max_body_bytes, too_large=payload_too_large
    )


def payload_too_large(limit: int) -> ASGIApp:
    return ApiError(
        413, "PAYLOAD_TOO_LARGE", f"the body is over the limit of {limit} bytes"
    ).response()


class V1Mount(Mount):
    """A Mount whose prefix also matches paths with decoded newlines (an id sent as "%0A"):
    Starlette's `.*` stops at them, leaving the app's plain-text 404 instead of our 400."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def v1_routes(settings: Settings) -> list[BaseRoute]:
    """What app.asgi mounts: everything under /v1."""
    return [V1Mount(PREFIX, v1_app(settings))]
