"""The OpenAPI 3.1 document of /v1, generated from the route table and the pydantic models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from app.rest.v1.auth import MERCHANT_HEADER
from app.rest.v1.endpoint import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, Operation
from app.rest.v1.errors import ErrorBody
from app.rest.v1.wire import QueryModel

OPENAPI_PATH = "/openapi.json"
REF = "#/components/schemas/{model}"

DESCRIPTION = """\
The /v1 compatibility surface of the inventory service. Bodies are JSON with camelCase
fields; quantities are decimal strings; unknown fields are ignored.

**Merchant.** A user token's `merchant_id` is authoritative: a request that names another
merchant (body `merchantId`, header `X-Merchant-ID`) gets 404 NOT_FOUND, like an unknown
id. A service token without a merchant names one per request: `merchantId` in
product-variant bodies or the `X-Merchant-ID` header (any route); without one, 400.

**Pages.** `limit` (1 to 500, default 100) and `cursor` (the previous page's `nextCursor`);
`nextCursor` is null on the last page.

**Errors** all have the shape of `ErrorBody`; `requestId` echoes `X-Request-ID`.
"""

ERROR_DESCRIPTIONS: Mapping[int, str] = {
    400: "INVALID: the body, query, a path id or a header fails validation; "
    "`details` names each field",
    401: "UNAUTHENTICATED: no token, bad signature, expired, wrong issuer or audience",
    403: "FORBIDDEN: the caller's role may not do this action",
    404: "NOT_FOUND: an unknown id, or an id (or merchant) of another merchant",
    409: "IDEMPOTENCY_KEY_MISMATCH (key reused with other input), INVALID_STATE or DUPLICATE",
    413: "PAYLOAD_TOO_LARGE: the body is over the configured limit (default 1 MiB)",
    415: "UNSUPPORTED_MEDIA_TYPE: the body is not application/json",
    422: "INSUFFICIENT_STOCK: a move would take stock below zero where that is not allowed",
    503: "UNAVAILABLE: the database or identity is unreachable; retry with the same "
    "Idempotency-Key",
}

REQUEST_ID_HEADER = {
    "description": "The caller's X-Request-ID when it is a short plain token, else a new one",
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,128}$"},
}


def openapi_document(operations: Sequence[Operation]) -> dict[str, Any]:
    refs, schemas = _component_schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Inventory /v1", "version": "1.0.0", "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
            "headers": {"X-Request-ID": REQUEST_ID_HEADER},
        },
    }


def _component_schemas(
    operations: Sequence[Operation],
) -> tuple[dict[type[BaseModel], Any], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorBody, "serialization"): None
    }
    for operation in operations:
        for request_model in (operation.body, operation.query):
            if request_model is not None:
                wanted[(request_model, "validation")] = None
        for response_model, _ in operation.responses.values():
            wanted[(response_model, "serialization")] = None
    keyed, top = models_json_schema(list(wanted), ref_template=REF)
    refs: dict[type[BaseModel], Any] = {}
    for (model, _), schema in keyed.items():
        assert isinstance(model, type)
        assert issubclass(model, BaseModel)
        refs[model] = schema
    defs: dict[str, Any] = top.get("$defs", {})
    return refs, defs


def _operation(operation: Operation, refs: Mapping[type[BaseModel], Any]) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": f"{operation.description}\n\nNeeds `{operation.action.value}`.".strip(),
        "security": [{"bearerAuth": []}],
        "parameters": _parameters(operation),
        "responses": _responses(operation, refs),
    }
    if operation.body is not None:
        required = bool(operation.body.model_json_schema().get("required"))
        described["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": refs[operation.body]}},
        }
    return described


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"},
        }
        for name in operation.path_params
    ]
    if operation.query is not None:
        parameters.extend(_query_parameters(operation.query))
    parameters.append(
        {
            "name": MERCHANT_HEADER,
            "in": "header",
            "required": False,
            "description": "The merchant, for a service token that carries none",
            "schema": {"type": "string", "format": "uuid"},
        }
    )
    if operation.idempotent:
        parameters.append(
            {
                "name": IDEMPOTENCY_HEADER,
                "in": "header",
                "required": False,
                "description": "Same key and input → the first result again; "
                "other input → 409 IDEMPOTENCY_KEY_MISMATCH",
                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
            }
        )
    return parameters


def _query_parameters(model: type[QueryModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, property_schema in schema["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _query_value_schema(property_schema),
        }
        if "description" in property_schema:
            parameter["description"] = property_schema["description"]
        parameters.append(parameter)
    return parameters


def _query_value_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A query value is text or absent, never null: drop pydantic's null branch and titles."""
    cleaned = {k: v for k, v in schema.items() if k not in ("description", "title")}
    branches = cleaned.pop("anyOf", None)
    if branches is not None:
        (value,) = [branch for branch in branches if branch != {"type": "null"}]
        cleaned = {**value, **cleaned}
    if cleaned.get("default", 0) is None:
        del cleaned["default"]
    return cleaned


def _responses(operation: Operation, refs: Mapping[type[BaseModel], Any]) -> dict[str, Any]:
    headers = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
    responses: dict[str, Any] = {}
    for status, (model, description) in sorted(operation.responses.items()):
        responses[str(status)] = {
            "description": description,
            "headers": headers,
            "content": {"application/json": {"schema": refs[model]}},
        }
    for status in operation.errors:
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "headers": headers,
            "content": {"application/json": {"schema": refs[ErrorBody]}},
        }
    return responses
