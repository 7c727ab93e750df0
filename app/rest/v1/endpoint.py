"""One /v1 operation end to end: authorize, parse, resolve the merchant, call, map failures.

Routes only translate: the operation's handler gets a `Call` with validated input and
calls one service or read query; every failure becomes the single error shape here.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.auth.actions import Action
from app.auth.principal import Principal
from app.db.errors import is_database_unavailable
from app.db.unit_of_work import UnitOfWork
from app.domain.errors import DomainError, FieldPath
from app.request_context import current_request_id
from app.rest.v1.auth import NamedMerchant, authorized_principal, merchant_header, resolve_merchant
from app.rest.v1.errors import (
    ApiError,
    database_unavailable,
    from_domain_error,
    from_validation_error,
    invalid,
)
from app.rest.v1.wire import QueryModel, RequestModel, ResponseModel
from app.runtime import Runtime
from app.services.context import Actor

log = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
# What the idempotency table stores: 1 to 255 characters, no control characters.
IDEMPOTENCY_KEY_PATTERN = r"^[^\x00-\x1f\x7f]{1,255}$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
_PATH_PARAM = re.compile(r"{(\w+)}")

B = TypeVar("B", bound=RequestModel)
Q = TypeVar("Q", bound=QueryModel)


@dataclass(frozen=True)
class Reply:
    status: int
    body: ResponseModel


@dataclass(frozen=True)
class Call:
    """What a handler needs: validated input, the caller and its merchant."""

    runtime: Runtime
    principal: Principal
    merchant_id: uuid.UUID
    path: Mapping[str, uuid.UUID]
    query: QueryModel | None
    body: RequestModel | None
    idempotency_key: str | None

    @property
    def sessions(self) -> UnitOfWork:
        return self.runtime.database.sessions

    @property
    def actor(self) -> Actor:
        return Actor(self.merchant_id, self.principal.actor, current_request_id())

    def body_as(self, model: type[B]) -> B:
        assert isinstance(self.body, model), f"the operation's body is not {model.__name__}"
        return self.body

    def query_as(self, model: type[Q]) -> Q:
        assert isinstance(self.query, model), f"the operation's query is not {model.__name__}"
        return self.query


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Operation:
    """A row of the route table: what the router serves and the OpenAPI document says."""

    method: Literal["GET", "POST", "PUT"]
    path: str
    operation_id: str
    summary: str
    action: Action
    handler: Handler
    # Success status → (body model, description).
    responses: Mapping[int, tuple[type[ResponseModel], str]]
    errors: tuple[int, ...]
    body: type[RequestModel] | None = None
    query: type[QueryModel] | None = None
    idempotent: bool = False
    description: str = ""
    # Service field paths this route names differently, e.g. ("id",) → ("purchaseOrderId",).
    renames: Mapping[FieldPath, FieldPath] = field(default_factory=dict)

    @property
    def path_params(self) -> list[str]:
        return _PATH_PARAM.findall(self.path)


async def perform(operation: Operation, request: Request) -> Response:
    try:
        reply = await _perform(operation, request)
    except ApiError as error:
        return error.response()
    except DomainError as error:
        return from_domain_error(error, operation.renames).response()
    except Exception as error:
        if is_database_unavailable(error):
            log.warning("database unavailable", extra={"error": type(error).__name__})
            return database_unavailable().response()
        log.exception("unexpected failure in %s", operation.operation_id)
        return ApiError(500, "INTERNAL", "internal error").response()
    return JSONResponse(reply.body.model_dump(mode="json"), status_code=reply.status)


async def _perform(operation: Operation, request: Request) -> Reply:
    principal = await authorized_principal(request, operation.action)
    path = _path_values(operation, request)
    query = _query(operation, request)
    body = await _body(operation, request)
    named: list[NamedMerchant] = []
    if (header := merchant_header(request)) is not None:
        named.append(header)
    if body is not None and (body_merchant := getattr(body, "merchant_id", None)) is not None:
        named.append((["merchantId"], body_merchant))
    call = Call(
        runtime=request.app.state.runtime,
        principal=principal,
        merchant_id=resolve_merchant(principal, named),
        path=path,
        query=query,
        body=body,
        idempotency_key=_idempotency_key(request) if operation.idempotent else None,
    )
    return await operation.handler(call)


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
        message = "must be 1 to 255 characters without control characters"
        raise invalid(message, [IDEMPOTENCY_HEADER])
    return key


def _path_values(operation: Operation, request: Request) -> dict[str, uuid.UUID]:
    values: dict[str, uuid.UUID] = {}
    for name in operation.path_params:
        try:
            values[name] = uuid.UUID(request.path_params[name])
        except ValueError:
            raise invalid("must be a UUID", [name]) from None
    return values


def _query(operation: Operation, request: Request) -> QueryModel | None:
    if operation.query is None:
        return None
    try:
        return operation.query.model_validate(dict(request.query_params.items()))
    except ValidationError as error:
        raise from_validation_error(error) from None


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def _body(operation: Operation, request: Request) -> RequestModel | None:
    if operation.body is None:
        return None
    raw = await request.body()
    content_type = request.headers.get("content-type")
    if (raw or content_type is not None) and not is_json(content_type or ""):
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/json")
    try:
        return operation.body.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise from_validation_error(error) from None
