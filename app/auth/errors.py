"""Identity failures, each with a stable `code` and the HTTP status /v1 answers with."""

from __future__ import annotations

from app.auth.actions import Action


class IdentityError(Exception):
    code: str = "IDENTITY_ERROR"
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(IdentityError):
    """No token, or a token that does not verify (→ 401)."""

    code = "UNAUTHENTICATED"
    http_status = 401

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(IdentityError):
    """The caller's role may not do this action (→ 403)."""

    code = "FORBIDDEN"
    http_status = 403

    def __init__(self, action: Action) -> None:
        super().__init__(f"not allowed to {action.value}")
        self.action = action


class IdentityUnavailable(IdentityError):
    """Identity could not answer and nothing cached can stand in (→ 503, fail closed)."""

    code = "UNAVAILABLE"
    http_status = 503

    def __init__(self, reason: str) -> None:
        super().__init__(f"identity unavailable: {reason}")
        self.reason = reason
