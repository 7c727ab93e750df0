"""The development identity's JWKS, served by the app (mounted only without IDENTITY_URL)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.auth.identity import Identity
from app.auth.keys import LocalKeys
from app.request_context import current_request_id

DEV_JWKS_PATH = "/dev-identity/jw-certs"


async def dev_jwks(request: Request) -> JSONResponse:
    identity: Identity = request.app.state.runtime.identity
    keys = identity.keys
    if not isinstance(keys, LocalKeys):
        error = {
            "code": "NOT_FOUND",
            "message": "no development identity: IDENTITY_URL is set",
            "requestId": current_request_id(),
        }
        return JSONResponse({"error": error}, status_code=404)
    return JSONResponse(keys.jwks(), headers={"Cache-Control": "public, max-age=300"})


dev_identity_routes = [Route(DEV_JWKS_PATH, dev_jwks, methods=["GET"])]
