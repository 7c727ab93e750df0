"""The one error shape of /v1 and how every failure maps onto it (and onto a status)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import Field, ValidationError
from starlette.responses import JSONResponse

from app.auth.errors import IdentityError, IdentityUnavailable, Unauthenticated
from app.domain.errors import DomainError, FieldPath, Problem, UserErrorCode
from app.request_context import current_request_id
from app.rest.v1.wire import ResponseModel

INVALID = "INVALID"
UNAVAILABLE = "UNAVAILABLE"
RETRY_AFTER_SECONDS = "1"

DOMAIN_STATUS: Mapping[UserErrorCode, int] = {
    UserErrorCode.INVALID: 400,
    UserErrorCode.REQUIRED: 400,
    UserErrorCode.UNIT_MISMATCH: 400,
    UserErrorCode.ARCHIVED: 400,
    UserErrorCode.NOT_FOUND: 404,
    UserErrorCode.IDEMPOTENCY_KEY_MISMATCH: 409,
    UserErrorCode.INVALID_STATE: 409,
    UserErrorCode.DUPLICATE: 409,
    UserErrorCode.CHANGE_FROM_QUANTITY_STALE: 409,
    UserErrorCode.INSUFFICIENT_STOCK: 422,
}
# Problems of several kinds in one request answer with the first status here: a conflict
# is decisive, then malformed input, then what the input refers to, then stock.
_PRECEDENCE = (409, 400, 404, 422)
# How the services spell fields that /v1 names differently.
_GLOBAL_FIELDS: Mapping[str, str] = {"idempotencyKey": "Idempotency-Key"}

WireField = list[str | int]


class ErrorDetail(ResponseModel):
    field: WireField | None = Field(
        description="Path of the offending input, e.g. lines/0/quantity"
    )
    message: str
    code: str | None = None


class ErrorInfo(ResponseModel):
    code: str = Field(examples=["NOT_FOUND"])
    message: str
    request_id: str | None
    details: list[ErrorDetail] = []


class ErrorBody(ResponseModel):
    """Every non-2xx response of /v1."""

    error: ErrorInfo


class ApiError(Exception):
    """A failure already decided: status, code, message and field details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Sequence[ErrorDetail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        info = ErrorInfo(
            code=self.code,
            message=self.message,
            request_id=current_request_id(),
            details=self.details,
        )
        return JSONResponse(
            ErrorBody(error=info).model_dump(mode="json"),
            status_code=self.status,
            headers=self.headers,
        )


def invalid(message: str, field: WireField | None) -> ApiError:
    return ApiError(
        400, INVALID, message, [ErrorDetail(field=field, message=message, code=INVALID)]
    )


def wire_field(path: FieldPath | None, renames: Mapping[FieldPath, FieldPath]) -> WireField | None:
    """A service's field path as /v1 spells it (GraphQL's leading "input" dropped)."""
    if path is None:
        return None
    if path[:1] == ("input",):
        path = path[1:]
    path = renames.get(path, path)
    return [_GLOBAL_FIELDS.get(part, part) if isinstance(part, str) else part for part in path]


def from_domain_error(
    error: DomainError, renames: Mapping[FieldPath, FieldPath] | None = None
) -> ApiError:
    """Status by the problems' codes; every problem is listed in `details`."""
    statuses = {DOMAIN_STATUS.get(p.code, 400) for p in error.problems}
    status = next(s for s in _PRECEDENCE if s in statuses)
    leading = [p for p in error.problems if DOMAIN_STATUS.get(p.code, 400) == status]
    code = INVALID if status == 400 else leading[0].code.value
    details = [_detail(p, renames or {}) for p in error.problems]
    return ApiError(status, code, "; ".join(p.message for p in leading), details)


def _detail(problem: Problem, renames: Mapping[FieldPath, FieldPath]) -> ErrorDetail:
    return ErrorDetail(
        field=wire_field(problem.field, renames), message=problem.message, code=problem.code.value
    )


def from_validation_error(error: ValidationError) -> ApiError:
    """pydantic's findings on a body or query, each naming its field by the wire name."""
    details = [
        ErrorDetail(
            field=list(err["loc"]) or None,
            message=err["msg"],
            code=INVALID,
        )
        for err in error.errors(include_url=False, include_input=False)
    ]
    summary = "; ".join(_labelled(d) for d in details[:5])
    return ApiError(400, INVALID, f"invalid request: {summary}", details)


def _labelled(detail: ErrorDetail) -> str:
    if not detail.field:
        return detail.message
    return ".".join(str(part) for part in detail.field) + ": " + detail.message


def from_identity_error(error: IdentityError) -> ApiError:
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, IdentityUnavailable):
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    return ApiError(error.http_status, error.code, error.message, headers=headers)


def database_unavailable() -> ApiError:
    return ApiError(
        503,
        UNAVAILABLE,
        "database unavailable; retry with the same Idempotency-Key",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
