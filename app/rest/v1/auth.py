"""Who calls /v1 and for which merchant: the token first, then what the request names.

A user token's merchant is authoritative: a request naming another merchant (body
`merchantId` or `X-Merchant-ID`) gets 404 NOT_FOUND, exactly like an unknown id, so
a caller cannot learn which merchants exist. A service token may carry a merchant
(then the same rule applies) or name one per request: `merchantId` in product-variant
bodies, `X-Merchant-ID` on every route; without either, 400 INVALID.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from starlette.requests import Request

from app.auth.actions import Action
from app.auth.errors import IdentityError
from app.auth.principal import Principal
from app.rest.v1.errors import ApiError, ErrorDetail, from_identity_error, invalid
from app.runtime import Runtime

MERCHANT_HEADER = "X-Merchant-ID"

# Where the request named a merchant, for the error detail: (["merchantId"], id).
NamedMerchant = tuple[list[str | int], uuid.UUID]


async def authorized_principal(request: Request, action: Action) -> Principal:
    """The verified caller, allowed to do `action` (401, 403 or 503 otherwise)."""
    runtime: Runtime = request.app.state.runtime
    try:
        principal = await runtime.identity.authenticate(request.headers.get("authorization"))
        await runtime.identity.authorize(principal, action)
    except IdentityError as error:
        raise from_identity_error(error) from None
    return principal


def merchant_header(request: Request) -> NamedMerchant | None:
    value = request.headers.get(MERCHANT_HEADER)
    if value is None:
        return None
    try:
        return [MERCHANT_HEADER], uuid.UUID(value)
    except ValueError:
        raise invalid("must be a UUID", [MERCHANT_HEADER]) from None


def resolve_merchant(principal: Principal, named: Sequence[NamedMerchant]) -> uuid.UUID:
    """The merchant every read and write of this request is scoped to."""
    if principal.merchant_id is not None:
        for field, merchant_id in named:
            if merchant_id != principal.merchant_id:
                message = f"merchant {merchant_id} not found"
                detail = ErrorDetail(field=field, message=message, code="NOT_FOUND")
                raise ApiError(404, "NOT_FOUND", message, [detail])
        return principal.merchant_id
    distinct = {merchant_id for _, merchant_id in named}
    if len(distinct) == 1:
        return distinct.pop()
    if distinct:
        raise invalid("merchantId and X-Merchant-ID name different merchants", [MERCHANT_HEADER])
    raise invalid(
        "a token without a merchant must name one (merchantId or X-Merchant-ID)", [MERCHANT_HEADER]
    )
